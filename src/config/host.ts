/** Facts of the machine the CLI runs on, read from the environment (here, as every environment read is). */

/** A Linux or BSD session without a display server has no browser to open. */
export function hasNoDisplay(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  return platform !== 'darwin' && platform !== 'win32' && !env['DISPLAY'] && !env['WAYLAND_DISPLAY'];
}
