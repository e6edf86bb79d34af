// The AWS SDK for JavaScript v3 against `fargate-lab local serve`: waiters, paginators, typed errors.
//
// Run by tests/scenarios/test_real_clients.py with
//   AWS_ENDPOINT_URL=http://127.0.0.1:<port>  AWS_REGION=us-east-1  (any access key)
//   FARGATE_LAB_CLUSTER=<a fresh cluster name>
//   FARGATE_LAB_SUBNETS=subnet-a,subnet-b  FARGATE_LAB_SECURITY_GROUP=sg-...
// It prints one JSON document on stdout: {"checks": [{"name", "ok", "detail"}, ...]}.
// A check that throws is recorded as failed (with the error) and the script goes on.
import {
  ECSClient, ECSServiceException,
  CreateClusterCommand, RegisterTaskDefinitionCommand, CreateServiceCommand, DescribeServicesCommand,
  UpdateServiceCommand, ListTasksCommand, RunTaskCommand, StopTaskCommand, DescribeTasksCommand,
  waitUntilServicesStable, waitUntilTasksRunning, waitUntilTasksStopped,
  paginateListTasks, paginateListServices, paginateListTaskDefinitions,
  ClusterNotFoundException, ServiceNotFoundException, InvalidParameterException, ClientException,
} from "@aws-sdk/client-ecs";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const endpoint = env("AWS_ENDPOINT_URL");
const cluster = env("FARGATE_LAB_CLUSTER");
const subnets = env("FARGATE_LAB_SUBNETS").split(",");
const securityGroup = env("FARGATE_LAB_SECURITY_GROUP");
const family = `${cluster}-web`;

const ecs = new ECSClient({
  endpoint,
  region: process.env.AWS_REGION || "us-east-1",
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  maxAttempts: 1,   // a throttled or failed call shows up as itself, not after silent retries
});
const network = { awsvpcConfiguration: { subnets, securityGroups: [securityGroup], assignPublicIp: "DISABLED" } };
const waiter = { client: ecs, minDelay: 1, maxDelay: 2, maxWaitTime: 120 };

const checks = [];
async function check(name, body) {
  try {
    const detail = await body();
    checks.push({ name, ok: true, detail: detail ?? null });
  } catch (error) {
    checks.push({ name, ok: false, detail: `${error?.name}: ${error?.message}`.slice(0, 2000) });
  }
}
function expect(condition, message) {
  if (!condition) throw new Error(message);
}
async function collect(pages) {
  const seen = [];
  for await (const page of pages) seen.push(page);
  return seen;
}
// The error a call rejects with, or a failure when it resolves.
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("the call succeeded; an error was expected");
}
function typed(error, Class, name, messagePart) {
  expect(error instanceof Class, `not an instance of ${Class.name}: ${error?.constructor?.name} ${error?.name}`);
  expect(error instanceof ECSServiceException, "not an ECSServiceException");
  expect(error.name === name, `name ${error.name} != ${name}`);
  expect(error.$fault === "client", `$fault ${error.$fault}`);
  expect(error.$metadata?.httpStatusCode === 400, `HTTP status ${error.$metadata?.httpStatusCode}`);
  expect(!messagePart || (error.message || "").includes(messagePart), `message ${JSON.stringify(error.message)}`);
  return { name: error.name, message: error.message };
}

// ------------------------------------------------------------------------------ setup
await check("create cluster", async () => {
  const made = await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  expect(made.cluster.status === "ACTIVE", `status ${made.cluster.status}`);
  return made.cluster.clusterArn;
});

const revisions = [];
await check("register three task definition revisions", async () => {
  for (const tag of ["v1", "v2", "v3"]) {
    const made = await ecs.send(new RegisterTaskDefinitionCommand({
      family, networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512",
      containerDefinitions: [{ name: "web", image: `fargatelab/web:${tag}`, essential: true,
                               portMappings: [{ containerPort: 80 }] }],
    }));
    revisions.push(made.taskDefinition.taskDefinitionArn);
  }
  expect(revisions.map((arn) => arn.split(":").pop()).join() === "1,2,3", revisions.join());
  return revisions;
});

// ------------------------------------------------------------------------------ waiters
await check("waitUntilServicesStable after CreateService (desired 2)", async () => {
  await ecs.send(new CreateServiceCommand({
    cluster, serviceName: "web", taskDefinition: revisions[2], desiredCount: 2, launchType: "FARGATE",
    networkConfiguration: network,
  }));
  const result = await waitUntilServicesStable(waiter, { cluster, services: ["web"] });
  expect(result.state === "SUCCESS", `state ${result.state}`);
  const service = (await ecs.send(new DescribeServicesCommand({ cluster, services: ["web"] }))).services[0];
  expect(service.runningCount === 2 && service.deployments.length === 1,
         `running ${service.runningCount}, deployments ${service.deployments.length}`);
  expect(service.deployments[0].createdAt instanceof Date, "createdAt is not parsed into a Date");
  return { state: result.state, runningCount: service.runningCount };
});

let standalone;
await check("waitUntilTasksRunning after RunTask", async () => {
  const ran = await ecs.send(new RunTaskCommand({
    cluster, taskDefinition: revisions[0], count: 1, launchType: "FARGATE", networkConfiguration: network,
  }));
  expect(ran.tasks.length === 1 && ran.failures.length === 0, JSON.stringify(ran.failures));
  standalone = ran.tasks[0].taskArn;
  const result = await waitUntilTasksRunning(waiter, { cluster, tasks: [standalone] });
  expect(result.state === "SUCCESS", `state ${result.state}`);
  const task = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [standalone] }))).tasks[0];
  expect(task.lastStatus === "RUNNING", `lastStatus ${task.lastStatus}`);
  return { state: result.state, lastStatus: task.lastStatus };
});

await check("waitUntilTasksStopped after StopTask", async () => {
  await ecs.send(new StopTaskCommand({ cluster, task: standalone, reason: "done with the JS SDK" }));
  const result = await waitUntilTasksStopped(waiter, { cluster, tasks: [standalone] });
  expect(result.state === "SUCCESS", `state ${result.state}`);
  const task = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [standalone] }))).tasks[0];
  expect(task.lastStatus === "STOPPED" && task.stopCode === "UserInitiated",
         `lastStatus ${task.lastStatus}, stopCode ${task.stopCode}`);
  expect(task.stoppedReason === "done with the JS SDK", `stoppedReason ${task.stoppedReason}`);
  return { state: result.state, stopCode: task.stopCode };
});

await check("waitUntilTasksRunning fails (not times out) when the task stops before RUNNING", async () => {
  const ran = await ecs.send(new RunTaskCommand({
    cluster, taskDefinition: revisions[0], count: 1, launchType: "FARGATE", networkConfiguration: network,
  }));
  const arn = ran.tasks[0].taskArn;
  // StopTask while PENDING: the TasksRunning waiter's failure acceptor is "any lastStatus == STOPPED"
  await ecs.send(new StopTaskCommand({ cluster, task: arn }));
  const error = await rejection(waitUntilTasksRunning(waiter, { cluster, tasks: [arn] }));
  const result = JSON.parse(error.message);
  expect(result.state === "FAILURE", `state ${result.state}`);
  return { state: result.state };
});

await check("timestamps are wall-clock times, not in the future", async () => {
  const service = (await ecs.send(new DescribeServicesCommand({ cluster, services: ["web"] }))).services[0];
  const now = Date.now() + 5_000;   // 5 s of grace for the two clocks
  const stamps = [["service.createdAt", service.createdAt], ["deployment.createdAt", service.deployments[0].createdAt],
                  ["deployment.updatedAt", service.deployments[0].updatedAt],
                  ...service.events.map((e) => [`event "${e.message}"`, e.createdAt])];
  const future = stamps.filter(([, at]) => !(at instanceof Date) || at.getTime() > now)
                       .map(([what, at]) => `${what} ${at?.toISOString?.()} is ${(at - Date.now()) / 1000}s ahead`);
  expect(future.length === 0, future.slice(0, 3).join("; "));
  return { checked: stamps.length };
});

// ------------------------------------------------------------------------------ paginators
await check("paginateListTaskDefinitions pageSize 1 walks every revision", async () => {
  const pages = await collect(paginateListTaskDefinitions({ client: ecs, pageSize: 1 }, { familyPrefix: family }));
  const arns = pages.flatMap((p) => p.taskDefinitionArns);
  expect(pages.length >= 3, `${pages.length} pages`);
  expect(pages.every((p) => p.taskDefinitionArns.length <= 1), "a page holds more than pageSize");
  expect(JSON.stringify(arns) === JSON.stringify(revisions), arns.join());
  return { pages: pages.length, arns: arns.length };
});

await check("paginateListServices pageSize 1 walks every service", async () => {
  for (const name of ["idle-a", "idle-b"]) {
    await ecs.send(new CreateServiceCommand({
      cluster, serviceName: name, taskDefinition: revisions[0], desiredCount: 0, launchType: "FARGATE",
      networkConfiguration: network,
    }));
  }
  const pages = await collect(paginateListServices({ client: ecs, pageSize: 1 }, { cluster }));
  const names = pages.flatMap((p) => p.serviceArns).map((arn) => arn.split("/").pop()).sort();
  expect(pages.length >= 3, `${pages.length} pages`);
  expect(JSON.stringify(names) === JSON.stringify(["idle-a", "idle-b", "web"]), names.join());
  return { pages: pages.length, services: names };
});

await check("paginateListTasks pageSize 1 walks every task", async () => {
  const whole = (await ecs.send(new ListTasksCommand({ cluster, serviceName: "web" }))).taskArns;
  const pages = await collect(paginateListTasks({ client: ecs, pageSize: 1 }, { cluster, serviceName: "web" }));
  const arns = pages.flatMap((p) => p.taskArns);
  expect(whole.length === 2, `${whole.length} tasks`);
  expect(pages.length >= 2 && pages.every((p) => p.taskArns.length <= 1), `${pages.length} pages`);
  expect(JSON.stringify([...arns].sort()) === JSON.stringify([...whole].sort()), arns.join());
  expect(new Set(arns).size === arns.length, "a task came back on two pages");
  return { pages: pages.length, tasks: arns.length };
});

// ------------------------------------------------------------------------------ typed errors
await check("ClusterNotFoundException is the SDK's class", async () => {
  const error = await rejection(ecs.send(new DescribeServicesCommand({ cluster: "no-such-cluster", services: ["web"] })));
  return typed(error, ClusterNotFoundException, "ClusterNotFoundException");
});

await check("ServiceNotFoundException is the SDK's class", async () => {
  const error = await rejection(ecs.send(new UpdateServiceCommand({ cluster, service: "no-such-service", desiredCount: 1 })));
  return typed(error, ServiceNotFoundException, "ServiceNotFoundException");
});

await check("InvalidParameterException is the SDK's class", async () => {
  const error = await rejection(ecs.send(new ListTasksCommand({ cluster, maxResults: 101 })));
  return typed(error, InvalidParameterException, "InvalidParameterException");
});

await check("ClientException is the SDK's class", async () => {
  const error = await rejection(ecs.send(new RunTaskCommand({
    cluster, taskDefinition: `${family}-missing:1`, launchType: "FARGATE", networkConfiguration: network,
  })));
  return typed(error, ClientException, "ClientException");
});

process.stdout.write(JSON.stringify({ sdk: "@aws-sdk/client-ecs", checks }, null, 2) + "\n");
