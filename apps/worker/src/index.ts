export { type RunningWorker, runOnePass, startWorker, type WorkerOptions } from './worker.js';
