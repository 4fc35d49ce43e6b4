import { z } from 'zod';
import { AgentRef, Task, TaskStateName, Text } from './common.js';

export const AssignTaskRequest = z
  .object({
    agent: AgentRef,
    task: Text('task').describe('What the agent should do'),
    tags: z.array(z.string().max(200)).max(50).optional(),
  })
  .meta({ id: 'AssignTaskRequest' });

export const AssignTaskResponse = z
  .object({ task_id: z.string(), agent_id: z.string(), agent_name: z.string() })
  .meta({ id: 'AssignTaskResponse' });

export const PendingTask = z.object({
  task_id: z.string(),
  description: z.string(),
  agent_id: z.string(),
  agent_name: z.string(),
});

export const PendingTaskList = z
  .object({ tasks: z.array(PendingTask), count: z.number().int() })
  .meta({ id: 'PendingTaskList', description: 'Tasks assigned to an agent and not started yet' });

export const TaskListQuery = z.object({
  state: TaskStateName.optional().describe('Only tasks in this state'),
  agent: AgentRef.optional().describe('Only tasks assigned to this agent'),
});

export const TaskList = z.object({ tasks: z.array(Task), count: z.number().int() }).meta({ id: 'TaskList' });

export const CompleteTaskRequest = z
  .object({ result: z.string().max(100_000).optional().describe('Outcome; defaults to "Completed"') })
  .meta({ id: 'CompleteTaskRequest' });

export const FailTaskRequest = z
  .object({ error: z.string().max(100_000).optional().describe('Why it failed; defaults to "Failed"') })
  .meta({ id: 'FailTaskRequest' });
