import { readFileSync } from 'node:fs';

/*
 * Microsoft's CSDL types (the checked-in extract in csdl/), and a checker that says where a JSON
 * value breaks them: a property the type (and its base types) does not declare, unless the type is
 * open; a value of the wrong kind; a null where Nullable="false"; a non-nullable property missing.
 */

export interface CsdlProperty {
  name: string;
  type: string;
  nullable: boolean;
}
export interface CsdlType {
  kind: 'ComplexType' | 'EntityType' | 'EnumType';
  name: string;
  base?: string;
  open: boolean;
  properties: CsdlProperty[];
  members: string[];
}

export function loadCsdl(file: URL): Map<string, CsdlType> {
  const xml = readFileSync(file, 'utf8');
  const types = new Map<string, CsdlType>();
  for (const m of xml.matchAll(/<(ComplexType|EntityType|EnumType) ([^>]*?)(\/>|>([\s\S]*?)<\/\1>)/g)) {
    const attrs = attributes(m[2]!);
    const inner = m[4] ?? '';
    types.set(attrs['Name']!, {
      kind: m[1] as CsdlType['kind'],
      name: attrs['Name']!,
      ...(attrs['BaseType'] ? { base: attrs['BaseType'].replace(/^graph\./, '') } : {}),
      open: attrs['OpenType'] === 'true',
      properties: [...inner.matchAll(/<Property ([^>]*?)\/>/g)].map((p) => {
        const a = attributes(p[1]!);
        return { name: a['Name']!, type: a['Type']!, nullable: a['Nullable'] !== 'false' };
      }),
      members: [...inner.matchAll(/<Member Name="([^"]+)"/g)].map((x) => x[1]!),
    });
  }
  return types;
}

function attributes(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/(\w+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]));
}

const DATE_TIME_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export class CsdlChecker {
  constructor(private readonly types: Map<string, CsdlType>) {}

  /** Every violation of `typeRef` (e.g. graph.retrievalResponse, Collection(graph.aiInteraction)) in `value`, by JSON path. */
  check(value: unknown, typeRef: string, path = '$'): string[] {
    const issues: string[] = [];
    this.value(value, typeRef, path, issues);
    return issues;
  }

  private value(value: unknown, typeRef: string, path: string, issues: string[]): void {
    const collection = /^Collection\((.+)\)$/.exec(typeRef);
    if (collection) {
      if (!Array.isArray(value)) return void issues.push(`${path}: expected a collection of ${collection[1]}, got ${kindOf(value)}`);
      value.forEach((v, i) => (v === null ? issues.push(`${path}[${i}]: null in a collection`) : this.value(v, collection[1]!, `${path}[${i}]`, issues)));
      return;
    }
    switch (typeRef) {
      case 'Edm.String':
        if (typeof value !== 'string') issues.push(`${path}: expected Edm.String, got ${kindOf(value)}`);
        return;
      case 'Edm.Boolean':
        if (typeof value !== 'boolean') issues.push(`${path}: expected Edm.Boolean, got ${kindOf(value)}`);
        return;
      case 'Edm.Int32':
      case 'Edm.Int64':
        if (typeof value !== 'number' || !Number.isInteger(value)) issues.push(`${path}: expected ${typeRef}, got ${kindOf(value)}`);
        return;
      case 'Edm.Double':
        if (typeof value !== 'number') issues.push(`${path}: expected Edm.Double, got ${kindOf(value)}`);
        return;
      case 'Edm.DateTimeOffset':
        if (typeof value !== 'string' || !DATE_TIME_OFFSET.test(value)) issues.push(`${path}: expected Edm.DateTimeOffset (ISO 8601 with an offset), got ${JSON.stringify(value)}`);
        return;
    }
    const name = typeRef.replace(/^(graph|microsoft\.graph)\./, '');
    const type = this.types.get(name);
    if (!type) return void issues.push(`${path}: type ${typeRef} is not in the CSDL extract`);
    if (type.kind === 'EnumType') {
      if (typeof value !== 'string' || !type.members.includes(value)) issues.push(`${path}: ${JSON.stringify(value)} is not a member of ${name} (${type.members.join(', ')})`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return void issues.push(`${path}: expected an object of ${name}, got ${kindOf(value)}`);
    const record = value as Record<string, unknown>;
    const actual = this.derived(record['@odata.type'], name, path, issues);
    const declared = this.propertiesOf(actual);
    for (const p of declared) {
      if (!(p.name in record)) {
        if (!p.nullable) issues.push(`${path}.${p.name}: missing, and ${actual.name}.${p.name} is not nullable`);
        continue;
      }
      const v = record[p.name];
      if (v === null) {
        if (!p.nullable) issues.push(`${path}.${p.name}: null, and ${actual.name}.${p.name} is not nullable`);
        continue;
      }
      this.value(v, p.type, `${path}.${p.name}`, issues);
    }
    if (this.isOpen(actual)) return;
    for (const key of Object.keys(record)) {
      if (key.includes('@')) continue; // instance annotations (@odata.type, @odata.context, …)
      if (!declared.some((p) => p.name === key)) issues.push(`${path}.${key}: not a property of ${actual.name} (not an open type)`);
    }
  }

  /**
   * The type an object says it is (`@odata.type`), if it derives from the declared one. A type
   * outside microsoft.graph (Microsoft's own example speaker says #Microsoft.Teams.GraphSvc.…) is
   * checked as the declared type.
   */
  private derived(odataType: unknown, declared: string, path: string, issues: string[]): CsdlType {
    const base = this.types.get(declared)!;
    if (typeof odataType !== 'string') return base;
    const m = /^#?microsoft\.graph\.(\w+)$/i.exec(odataType);
    if (!m) return base;
    const named = this.types.get(m[1]!);
    if (!named) {
      issues.push(`${path}: @odata.type ${odataType} is not in the CSDL extract`);
      return base;
    }
    for (let t: CsdlType | undefined = named; t; t = t.base ? this.types.get(t.base) : undefined) if (t.name === declared) return named;
    issues.push(`${path}: @odata.type ${odataType} does not derive from ${declared}`);
    return base;
  }

  private propertiesOf(type: CsdlType): CsdlProperty[] {
    const own = type.properties;
    return type.base ? [...this.propertiesOf(this.types.get(type.base)!), ...own] : own;
  }

  private isOpen(type: CsdlType): boolean {
    return type.open || (type.base !== undefined && this.isOpen(this.types.get(type.base)!));
  }
}

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}
