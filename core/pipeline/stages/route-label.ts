// The one name of a matched rule, in access logs, metrics and traces of every plane.
export function routeLabel(routeId: string, ruleName: string): string {
  return `${routeId}#${ruleName}`;
}
