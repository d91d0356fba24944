/** Server-side browser commands of the suite (filled in by the demo check). */
export const demoCommands = {};
