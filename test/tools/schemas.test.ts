import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectClient, ERAS } from '../helpers/mcpClients.js';

const SNAPSHOT = fileURLToPath(new URL('../snapshots/tools.json', import.meta.url));
const UPDATE = process.env['UPDATE_SNAPSHOTS'] === '1';

/** The tool surface is a contract with models and clients: any change must be deliberate. */
describe.each(ERAS)('tool schemas, %s client, no credentials configured', (era) => {
  it('lists every tool signed-out, matching the snapshot', async () => {
    const client = await connectClient(era, []);
    try {
      const { tools } = await client.listTools();
      const surface = tools.map((t) => ({ name: t.name, title: t.title, description: t.description, annotations: t.annotations, inputSchema: t.inputSchema, outputSchema: t.outputSchema }));
      for (const t of surface) {
        expect(t.outputSchema, `${t.name} has an output schema`).toBeTruthy();
        expect(t.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });
        expect(t.description!.length).toBeGreaterThan(80);
      }
      if (UPDATE || !existsSync(SNAPSHOT)) {
        if (!UPDATE && process.env['CI']) throw new Error('tool snapshot missing in CI: run UPDATE_SNAPSHOTS=1 npm test locally and commit it');
        writeFileSync(SNAPSHOT, `${JSON.stringify(surface, null, 2)}\n`);
      }
      expect(surface).toEqual(JSON.parse(readFileSync(SNAPSHOT, 'utf8')));
    } finally {
      await client.close();
    }
  });
});
