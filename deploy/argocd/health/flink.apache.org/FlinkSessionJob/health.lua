-- Health of a FlinkSessionJob (Flink Kubernetes Operator 1.15), from its lifecycle state
-- (ResourceLifecycleState) and its job's state. Shipped by kiln; Argo CD has none built in.
local hs = {}

if obj.status == nil or obj.status.lifecycleState == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Flink operator"
  return hs
end

local lifecycle = obj.status.lifecycleState
local job = ""
if obj.status.jobStatus ~= nil and obj.status.jobStatus.state ~= nil then
  job = obj.status.jobStatus.state
end
local err = obj.status.error

if lifecycle == "FAILED" or job == "FAILED" then
  hs.status = "Degraded"
  hs.message = err or ("The job failed (lifecycle " .. lifecycle .. ")")
  return hs
end

if lifecycle == "ROLLED_BACK" then
  hs.status = "Degraded"
  hs.message = "Rolled back to the last stable spec" .. (err and (": " .. err) or "")
  return hs
end

if lifecycle == "SUSPENDED" then
  hs.status = "Suspended"
  hs.message = "The job is suspended"
  return hs
end

if (lifecycle == "STABLE" or lifecycle == "DEPLOYED") and (job == "RUNNING" or job == "FINISHED") then
  hs.status = "Healthy"
  hs.message = "The job is " .. string.lower(job)
  return hs
end

if job == "FAILING" or job == "RESTARTING" then
  hs.status = "Degraded"
  hs.message = err or ("The job is " .. string.lower(job))
  return hs
end

hs.status = "Progressing"
if err ~= nil and err ~= "" then
  hs.message = err
elseif job ~= "" then
  hs.message = "Lifecycle " .. lifecycle .. ", job " .. job
else
  hs.message = "Lifecycle " .. lifecycle
end
return hs
