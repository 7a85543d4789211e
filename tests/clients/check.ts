// Compiled with `tsc --noEmit` against the types openapi-typescript generates from
// openapi/openapi.yaml (written to generated/ticketd.ts by scripts/test): a client's code that
// uses the contract must type-check.
import type { components, operations, paths } from "./generated/ticketd.js";

type Schemas = components["schemas"];

export const declaration: Schemas["IncidentRequest"] = {
  title: "Connexion impossible",
  started_at: "2026-11-23T08:30:00Z",
  impact: "Les usagers ne peuvent plus se connecter",
  security: true,
  proposed_priority: "majeure",
};

export function describe(ticket: Schemas["TicketView"]): string {
  const assignee: string | undefined = ticket.assignee;
  const closed: boolean = ticket.state === "closed";
  return `${ticket.reference} ${ticket.priority} ${assignee ?? "-"} ${closed} ${ticket.created_at}`;
}

export function firstProblem(problem: Schemas["Problem"]): string {
  return problem.errors?.[0]?.field ?? problem.detail;
}

export type Acknowledge = operations["acknowledge"]["parameters"]["header"]["If-Match"];
export type ListQuery = NonNullable<paths["/api/v1/tickets"]["get"]["parameters"]["query"]>;
export const filter: ListQuery = { state: ["waiting_reporter"], limit: 20 };
export const ifMatch: Acknowledge = '"3"';
