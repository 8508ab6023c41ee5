import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { AppError } from '../../errors.js';

/**
 * Where file exports may go: one directory the user configured (--export-dir), resolved once with
 * realpath. A model picks only a name inside it; everything it names is checked to stay inside.
 */

/** Names the export itself writes beside an output file; an output file may not take one of them. */
const COMPANION = /\.(cursor\.json|lock)$|\.tmp$/i;

/** The directory, resolved, after checking that nothing the server must keep intact lies inside it. */
export async function resolveExportDir(configured: string, protectedPaths: { what: string; path: string }[]): Promise<string> {
  let root: string;
  try {
    root = await realpath(configured);
  } catch (cause) {
    throw new AppError('ConfigInvalid', `the export directory ${configured} does not exist`, { cause, nextStep: `Create it (mkdir -p ${configured}) or fix --export-dir.` });
  }
  if (!(await stat(root)).isDirectory()) throw new AppError('ConfigInvalid', `the export directory ${configured} is not a directory`, { nextStep: 'Point --export-dir at a directory.' });
  for (const { what, path } of protectedPaths) {
    const real = await realpathOfNearest(path);
    if (isInside(real, root) || real === root)
      throw new AppError('ConfigInvalid', `the export directory ${configured} contains the ${what} (${path}); an export could then overwrite it`, {
        nextStep: `Choose an export directory that does not contain ${path}, e.g. a new folder of its own such as ~/copilot-exports.`,
      });
  }
  return root;
}

/**
 * The absolute path an export may write to: `outputFile` taken relative to the export directory
 * (an absolute path is accepted when it lies inside it). The parent directory must exist and,
 * once symlinks are resolved, still lie inside; the file itself is later opened without following a symlink.
 */
export async function confinedOutputPath(root: string, outputFile: string): Promise<string> {
  const candidate = resolve(root, outputFile);
  const name = basename(candidate);
  const outside = () =>
    new AppError('InvalidArgument', `outputFile ${outputFile} is outside the export directory ${root}`, {
      nextStep: `Give a file name inside ${root}, e.g. "copilot-export.jsonl" (the user chose that directory with --export-dir).`,
      details: { exportDir: root },
    });
  if (!isInside(candidate, root)) throw outside();
  if (COMPANION.test(name))
    throw new AppError('InvalidArgument', `outputFile ${outputFile} ends like a file the export writes beside its output (.cursor.json, .lock, .tmp)`, {
      nextStep: 'Choose a name such as "copilot-export.jsonl".',
    });
  let parent: string;
  try {
    parent = await realpath(dirname(candidate));
  } catch (cause) {
    throw new AppError('InvalidArgument', `the directory of outputFile ${outputFile} does not exist inside the export directory ${root}`, {
      cause,
      nextStep: `Write into ${root} itself, or into a folder that exists inside it.`,
    });
  }
  if (parent !== root && !isInside(parent, root)) throw outside();
  return join(parent, name);
}

function isInside(path: string, root: string): boolean {
  return path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/** realpath of the path, or of its nearest existing ancestor with the rest appended (the state directory may not exist yet). */
async function realpathOfNearest(path: string): Promise<string> {
  const rest: string[] = [];
  let at = resolve(path);
  for (;;) {
    try {
      return join(await realpath(at), ...rest.reverse());
    } catch {
      const up = dirname(at);
      if (up === at) return resolve(path);
      rest.push(basename(at));
      at = up;
    }
  }
}
