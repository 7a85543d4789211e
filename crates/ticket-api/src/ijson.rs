//! I-JSON (RFC 7493) member names: a JSON body whose object holds a name twice is refused, as
//! parsers disagree on which value wins (serde_json keeps the last: `{"role":"agent",
//! "role":"admin"}` would be read as an admin key).

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// The first member name found twice in one object of `body`: the member's path (as the body
/// check names fields: `victim.email`, `files[2].name`) and the name. `None` when every object's
/// names are unique, or when `body` is not JSON (the caller reports that).
pub fn duplicate_member(body: &[u8]) -> Option<(String, String)> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    Walk::deserialize_at(&mut deserializer, String::new()).unwrap_or_default()
}

/// A value walked for duplicate names; holds the first one found below it.
struct Walk(Option<(String, String)>);

impl Walk {
    fn deserialize_at<'de, D: Deserializer<'de>>(
        deserializer: D,
        at: String,
    ) -> Result<Option<(String, String)>, D::Error> {
        deserializer
            .deserialize_any(WalkVisitor { at })
            .map(|walk| walk.0)
    }
}

struct WalkVisitor {
    at: String,
}

/// A value at a path, walked by `DeserializeSeed`.
struct At(String);

impl<'de> de::DeserializeSeed<'de> for At {
    type Value = Option<(String, String)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        Walk::deserialize_at(deserializer, self.0)
    }
}

impl<'de> Visitor<'de> for WalkVisitor {
    type Value = Walk;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Walk, E> {
        Ok(Walk(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Walk, E> {
        Ok(Walk(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Walk, E> {
        Ok(Walk(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Walk, E> {
        Ok(Walk(None))
    }
    fn visit_str<E>(self, _: &str) -> Result<Walk, E> {
        Ok(Walk(None))
    }
    fn visit_unit<E>(self) -> Result<Walk, E> {
        Ok(Walk(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Walk, A::Error> {
        let mut found = None;
        let mut i = 0;
        while let Some(inner) = seq.next_element_seed(At(format!("{}[{i}]", self.at)))? {
            found = found.or(inner);
            i += 1;
        }
        Ok(Walk(found))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Walk, A::Error> {
        let mut names = HashSet::new();
        let mut found = None;
        while let Some(name) = map.next_key::<String>()? {
            let at = if self.at.is_empty() {
                name.clone()
            } else {
                format!("{}.{name}", self.at)
            };
            if found.is_none() && names.contains(&name) {
                found = Some((at.clone(), name.clone()));
            }
            let inner = map.next_value_seed(At(at))?;
            found = found.or(inner);
            names.insert(name);
        }
        Ok(Walk(found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_twice_is_found_where_it_is() {
        assert_eq!(
            duplicate_member(br#"{"role":"agent","role":"admin"}"#),
            Some(("role".into(), "role".into()))
        );
        assert_eq!(
            duplicate_member(br#"{"victim":{"email":"a@b.fr","x":[{"a":1,"a":2}]}}"#),
            Some(("victim.x[0].a".into(), "a".into()))
        );
        // Escapes are decoded first: the same name written two ways is still twice.
        assert_eq!(
            duplicate_member(br#"{"role":1,"r\u006fle":2}"#),
            Some(("role".into(), "role".into()))
        );
    }

    #[test]
    fn unique_names_pass() {
        assert_eq!(
            duplicate_member(br#"{"a":{"b":1},"b":{"a":[1,{"a":2}]}}"#),
            None
        );
        assert_eq!(duplicate_member(b"[1,2,3]"), None);
    }
}
