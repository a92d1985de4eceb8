/**
 * The dependency graph of a plan's tasks: the waves it runs in (topological levels, each in a stable order by id)
 * and the cycles that would keep it from running at all.
 */

/** What the graph needs of a task. */
export interface GraphTask {
  id: string;
  dependsOn?: readonly string[] | undefined;
}

/** Compares ids by code unit, the same in every locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The known dependencies of a task: itself and ids that are not tasks left out, each once. */
function edgesOf(task: GraphTask, known: ReadonlySet<string>): string[] {
  return [...new Set(task.dependsOn ?? [])].filter((dep) => dep !== task.id && known.has(dep));
}

/**
 * The tasks in waves: a task's wave is one after the latest wave of its dependencies, so every task of a wave may
 * run at the same time as the others. Within a wave, tasks are ordered by id. The graph must have no cycle.
 */
export function planWaves<T extends GraphTask>(tasks: readonly T[]): T[][] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const known = new Set(byId.keys());
  const level = new Map<string, number>();
  const levelOf = (task: T, trail: Set<string>): number => {
    const done = level.get(task.id);
    if (done !== undefined) return done;
    if (trail.has(task.id)) throw new Error(`plan graph has a cycle through "${task.id}"`);
    trail.add(task.id);
    let value = 0;
    for (const dep of edgesOf(task, known)) value = Math.max(value, levelOf(byId.get(dep) as T, trail) + 1);
    trail.delete(task.id);
    level.set(task.id, value);
    return value;
  };
  const waves: T[][] = [];
  for (const task of tasks) {
    const at = levelOf(task, new Set());
    (waves[at] ??= []).push(task);
  }
  return waves.map((wave) => [...wave].sort((a, b) => compareIds(a.id, b.id)));
}

/**
 * The cycles the graph's depth-first walk meets, each as the ids along it with the first repeated at the end
 * (`a → b → a` reads "a depends on b, which depends on a"). Empty when the graph has none.
 */
export function findCycles(tasks: readonly GraphTask[]): string[][] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const known = new Set(byId.keys());
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'open');
    stack.push(id);
    const task = byId.get(id);
    for (const dep of task ? edgesOf(task, known) : []) {
      const seen = state.get(dep);
      if (seen === 'open') cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (seen === undefined) visit(dep);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const task of [...tasks].sort((a, b) => compareIds(a.id, b.id))) if (!state.has(task.id)) visit(task.id);
  return cycles;
}
