import { describe, expect, it } from 'vitest';
import { KqlSyntaxError, parseKql } from '../src/search/kql.js';
import { compileKql, SHAREPOINT_KQL_SCHEMA, type KqlSubject } from '../src/search/kqlEval.js';

const DOC: Record<string, string> = {
  title: 'Corporate VPN Setup Guide',
  author: 'Alex Wilber',
  filename: 'Corporate VPN Setup Guide.docx',
  fileextension: 'docx',
  filetype: 'docx',
  informationprotectionlabelid: '3c71529a-849a-46d0-9068-17336186a193',
  lastmodifiedtime: '2025-02-20T12:00:00.000Z',
  modifiedby: 'Adele Vance',
  path: 'https://contoso-emu.sharepoint.com/sites/IT/Shared%20Documents/Guides/Corporate%20VPN%20Setup%20Guide.docx',
  siteid: 'cc0e9245-2c6f-4a0d-a453-8a372cfc949d',
};
const subject: KqlSubject = (name) => DOC[name];

function matches(filter: string): boolean {
  const compiled = compileKql(filter, SHAREPOINT_KQL_SCHEMA);
  if (!compiled.ok) throw new Error(`expected a valid filter: ${compiled.reason}`);
  return compiled.test(subject);
}

function invalid(filter: string): boolean {
  return !compileKql(filter, SHAREPOINT_KQL_SCHEMA).ok;
}

describe('parseKql', () => {
  it('parses restrictions with each operator, quoted and bare values, prefixes', () => {
    expect(parseKql('Author:"Megan Bowen"')).toEqual({ kind: 'restriction', property: 'Author', operator: ':', value: 'Megan Bowen', quoted: true, prefix: false });
    expect(parseKql('FileType:pdf')).toMatchObject({ operator: ':', value: 'pdf', quoted: false });
    expect(parseKql('Title:VPN*')).toMatchObject({ value: 'VPN', prefix: true });
    expect(parseKql('Title:"Corporate VP"*')).toMatchObject({ value: 'Corporate VP', prefix: true, quoted: true });
    for (const op of ['=', '>', '>=', '<', '<=', '<>'] as const) {
      expect(parseKql(`LastModifiedTime${op}2024-07-22`)).toMatchObject({ operator: op, value: '2024-07-22' });
    }
    expect(parseKql('LastModifiedTime>= 2024-07-22')).toMatchObject({ operator: '>=', value: '2024-07-22' });
    expect(parseKql('path:https://contoso.sharepoint.com/sites/HR1/')).toMatchObject({ property: 'path', value: 'https://contoso.sharepoint.com/sites/HR1/' });
  });

  it('gives NOT > AND > OR precedence, implicit AND and parentheses', () => {
    const tree = parseKql('a:1 OR b:2 AND NOT c:3');
    expect(tree).toMatchObject({ kind: 'or', left: { property: 'a' }, right: { kind: 'and', left: { property: 'b' }, right: { kind: 'not', operand: { property: 'c' } } } });
    expect(parseKql('a:1 b:2')).toMatchObject({ kind: 'and' });
    expect(parseKql('(a:1 or b:2) and c:3')).toMatchObject({ kind: 'and', left: { kind: 'or' }, right: { property: 'c' } });
    expect(parseKql('a:1 Or b:2')).toMatchObject({ kind: 'or' });
  });

  it('rejects what is outside the subset', () => {
    for (const bad of ['', 'vpn', 'Author:', 'Author:"unterminated', '(Title:x', 'Title:x)', 'Title:x AND', 'OR Title:x', '+Title:x']) {
      expect(() => parseKql(bad), bad).toThrow(KqlSyntaxError);
    }
  });
});

describe('KQL evaluation on SharePoint properties', () => {
  it('matches text by case-insensitive equality or phrase containment', () => {
    expect(matches('Author:"alex wilber"')).toBe(true);
    expect(matches('Title:"VPN Setup"')).toBe(true);
    expect(matches('Title:"Setup VPN"')).toBe(false);
    expect(matches('Title:vpn')).toBe(true);
    expect(matches('Title:VP')).toBe(false);
    expect(matches('Title:VP*')).toBe(true);
    expect(matches('Title="Corporate VPN Setup Guide"')).toBe(true);
    expect(matches('Title=VPN')).toBe(false);
    expect(matches('Filename:"Corporate VPN Setup Guide.docx"')).toBe(true);
    expect(matches('ModifiedBy:"Adele Vance"')).toBe(true);
    expect(matches('ModifiedBy<>"Adele Vance"')).toBe(false);
  });

  it('compares extensions, ids and paths', () => {
    expect(matches('FileExtension:"docx"')).toBe(true);
    expect(matches('FileExtension:.DOCX')).toBe(true);
    expect(matches('FileType:pdf')).toBe(false);
    expect(matches('FileExtension:"docx" OR FileExtension:"pdf"')).toBe(true);
    expect(matches('InformationProtectionLabelId:"3C71529A-849A-46D0-9068-17336186A193"')).toBe(true);
    expect(matches('SiteID:"{cc0e9245-2c6f-4a0d-a453-8a372cfc949d}"')).toBe(true);
    expect(matches('Path:"https://contoso-emu.sharepoint.com/sites/IT/"')).toBe(true);
    expect(matches('Path:"https://contoso-emu.sharepoint.com/sites/IT/Shared Documents/Guides/"')).toBe(true);
    expect(matches('path:"https://contoso-emu.sharepoint.com/sites/HR/"')).toBe(false);
  });

  it('compares dates, a date-only value meaning the whole day', () => {
    expect(matches('LastModifiedTime>=2025-02-20')).toBe(true);
    expect(matches('LastModifiedTime>2025-02-20')).toBe(false);
    expect(matches('LastModifiedTime<=2025-02-20')).toBe(true);
    expect(matches('LastModifiedTime<2025-02-20')).toBe(false);
    expect(matches('LastModifiedTime:2025-02-20')).toBe(true);
    expect(matches('LastModifiedTime=2025-02-21')).toBe(false);
    expect(matches('LastModifiedTime>= 2024-07-22 AND LastModifiedTime<= 2025-03-08')).toBe(true);
    expect(matches('LastModifiedTime>2025-02-20T11:00:00Z')).toBe(true);
  });

  it('applies boolean operators with precedence', () => {
    expect(matches('NOT FileType:pdf')).toBe(true);
    expect(matches('FileType:pdf OR Author:"Alex Wilber" AND Title:VPN')).toBe(true);
    expect(matches('(FileType:pdf OR Author:"Alex Wilber") AND Title:Budget')).toBe(false);
    expect(matches('FileType:pdf OR Author:"Alex Wilber" AND Title:Budget')).toBe(false);
    expect(matches('Author:"Alex Wilber" Title:VPN')).toBe(true);
    expect(matches('author:"Alex Wilber" and not title:budget')).toBe(true);
  });

  it('treats unsupported properties, syntax errors and bad dates as invalid', () => {
    expect(invalid('ContentType:Document')).toBe(true);
    expect(invalid('Title:VPN AND Size>1000')).toBe(true);
    expect(invalid('Title:(')).toBe(true);
    expect(invalid('LastModifiedTime>yesterday')).toBe(true);
    expect(invalid('vpn guide')).toBe(true);
    expect(invalid('Title:VPN')).toBe(false);
  });

  it('uses the connection schema for connectors', () => {
    const schema = new Map([['label_title', 'text' as const], ['category', 'text' as const]]);
    const item: KqlSubject = (name) => ({ label_title: 'Corporate VPN', category: 'Network' })[name];
    const ok = compileKql('Label_Title:"Corporate VPN" AND category:network', schema);
    expect(ok.ok && ok.test(item)).toBe(true);
    expect(compileKql('Author:"Alex Wilber"', schema).ok).toBe(false);
  });
});
