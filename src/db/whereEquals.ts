/**
 * A WHERE clause of `column = ?` conditions joined with AND, for the columns whose value is set
 * (undefined and empty values are left out), with its arguments in order. Column names come
 * from the caller's code, never from input.
 */
export function whereEquals(conditions: Record<string, string | number | undefined>): {
  sql: string;
  args: Array<string | number>;
} {
  const parts: string[] = [];
  const args: Array<string | number> = [];
  for (const [column, value] of Object.entries(conditions)) {
    if (value === undefined || value === '') continue;
    parts.push(`${column} = ?`);
    args.push(value);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}
