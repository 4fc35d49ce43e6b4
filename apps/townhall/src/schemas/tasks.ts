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

const ActingAgentField = AgentRef.optional().describe(
  'The agent acting on its own task (id or name). When given, the change is refused with 409 unless the task is still assigned to it and the agent is live: a late acknowledgement from an agent whose lease lapsed cannot end the run of the task’s next holder. Leave it out to act on the town as a person or tool.',
);

export const CompleteTaskRequest = z
  .object({
    result: z.string().max(100_000).optional().describe('Outcome; defaults to "Completed"'),
    agent: ActingAgentField,
  })
  .meta({ id: 'CompleteTaskRequest' });

export const FailTaskRequest = z
  .object({
    error: z.string().max(100_000).optional().describe('Why it failed; defaults to "Failed"'),
    agent: ActingAgentField,
  })
  .meta({ id: 'FailTaskRequest' });
