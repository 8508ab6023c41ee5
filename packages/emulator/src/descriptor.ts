import * as z from 'zod';

/**
 * What `m365-copilot-mcp emulator` prints as ONE JSON line on stdout, and what `--emulator FILE`
 * reads back: everything a client needs to send all identity and Graph traffic to the emulator.
 */
export const EmulatorDescriptorSchema = z.object({
  emulator: z.literal('m365-copilot-emulator'),
  version: z.literal(1),
  tenantId: z.string(),
  tenantDomain: z.string(),
  /** https origin of the identity provider, e.g. https://127.0.0.1:43123 */
  authorityHost: z.string().url(),
  /** Full authority for MSAL: `${authorityHost}/${tenantId}` */
  authority: z.string().url(),
  /** Graph origin without version, e.g. http://127.0.0.1:43123 */
  graphBaseUrl: z.string().url(),
  /** Resource identifier used in scopes (`${graphResource}/Files.Read.All`). */
  graphResource: z.string(),
  /** PEM file of the CA that signed the identity provider's TLS certificate. */
  caCertPath: z.string(),
  /** Control and counters: GET `${controlUrl}/stats`, POST `${controlUrl}/devicecode/approve`. */
  controlUrl: z.string().url(),
  /** The run's secret for the control routes, sent as the X-Emulator-Control-Key header. */
  controlKey: z.string().min(32),
  demoUser: z.string(),
  users: z.array(
    z.object({ id: z.string(), upn: z.string(), displayName: z.string(), copilotLicense: z.boolean() }),
  ),
  apps: z.object({
    publicClient: z.object({ clientId: z.string(), displayName: z.string() }),
    exportApp: z.object({
      clientId: z.string(),
      displayName: z.string(),
      clientSecret: z.string(),
      /** PEM file (0600): the private key, then the certificate registered on the app (MSAL `privateKey` and `x5c`). */
      certificatePath: z.string().optional(),
      /** SHA-1 thumbprint of that certificate, hex upper-case (MSAL `clientCertificate.thumbprint`). */
      certificateThumbprint: z.string().optional(),
      /** SHA-256 thumbprint, hex upper-case (MSAL `clientCertificate.thumbprintSha256`). */
      certificateThumbprintSha256: z.string().optional(),
    }),
    /**
     * Remote mode: the HTTP MCP server's registration. Users' tokens are issued for it (`aud` =
     * clientId, scope `${appIdUri}/${scope}`); it exchanges them on-behalf-of with its secret.
     */
    mcpServer: z.object({
      clientId: z.string(),
      clientSecret: z.string(),
      displayName: z.string(),
      /** `api://<clientId>` */
      appIdUri: z.string(),
      /** The delegated scope it exposes: `access_as_user`. */
      scope: z.string(),
      /** The app role allowing export of other users' interactions: `Interactions.Export.All`. */
      exportRole: z.string(),
      /** UPNs of the users assigned that role (the demo user is not). */
      exportRoleMembers: z.array(z.string()),
    }),
  }),
  /** A second tenant whose users hold validly signed tokens (same keys) that this tenant's apps refuse. */
  otherTenant: z.object({
    tenantId: z.string(),
    domain: z.string(),
    users: z.array(z.object({ id: z.string(), upn: z.string(), displayName: z.string() })),
  }),
});

export type EmulatorDescriptor = z.infer<typeof EmulatorDescriptorSchema>;

/**
 * A fresh tenant's line (`--fresh-tenant`): no public client and no MCP server app yet, since
 * `m365-copilot-mcp setup` creates them and prints their ids.
 */
export const FreshTenantDescriptorSchema = EmulatorDescriptorSchema.extend({
  freshTenant: z.literal(true),
  apps: EmulatorDescriptorSchema.shape.apps.omit({ publicClient: true, mcpServer: true }),
});

export type FreshTenantDescriptor = z.infer<typeof FreshTenantDescriptorSchema>;

/** Any line an emulator prints: a generated tenant's or a fresh one's. */
export const AnyEmulatorDescriptorSchema = z.union([EmulatorDescriptorSchema, FreshTenantDescriptorSchema]);
