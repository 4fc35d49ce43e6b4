export { conductorArgv, conductorBriefing } from './commands/conductor.js';
export { deriveTownName } from './commands/town.js';
export { buildProgram, main } from './program.js';
