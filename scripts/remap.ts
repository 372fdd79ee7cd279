/**
 * Replays history through the current mapping rules (see services/unification/src/remap.ts):
 *
 *   node scripts/remap.ts --data-source <id> [--resource-type <type>]
 *   node scripts/remap.ts --all
 */
import { main } from '../services/unification/src/remap.ts';

process.exitCode = await main();
