// Records keyed by the names a `.nn` file gives its tensors. Any name the language allows is
// a model's to choose, `constructor`, `toString` and `__proto__` included; on a plain object
// those would find Object.prototype's members (or, assigned, set the prototype) instead of a
// tensor. So records the runtime builds have no prototype, and a lookup by such a name reads
// own properties only, whoever built the record.

/** The record's own property `name`, or undefined: never one inherited from a prototype. */
export function ownValue<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

/** A record without a prototype holding these entries, so that any name is an ordinary key. */
export function namedRecord<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const record = Object.create(null) as Record<string, T>;
  for (const [name, value] of entries) record[name] = value;
  return record;
}
