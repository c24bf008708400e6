-- Health of a FlinkStateSnapshot (Flink Kubernetes Operator 1.15): COMPLETED is healthy,
-- FAILED (backoff limit reached) and ABANDONED (the job was gone or stopped after the
-- trigger; never retried) are degraded, a retried error is still progressing. Shipped by
-- kiln; Argo CD has none built in.
local hs = {}

if obj.status == nil or obj.status.state == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Flink operator"
  return hs
end

local state = obj.status.state
local err = obj.status.error

if state == "COMPLETED" then
  hs.status = "Healthy"
  hs.message = obj.status.path or "Completed"
  return hs
end

if state == "FAILED" then
  hs.status = "Degraded"
  hs.message = err or "The snapshot failed"
  return hs
end

if state == "ABANDONED" then
  hs.status = "Degraded"
  hs.message = "Abandoned: the job was not found or stopped after the snapshot was triggered"
  return hs
end

hs.status = "Progressing"
if err ~= nil and err ~= "" then
  hs.message = "Retrying after " .. tostring(obj.status.failures or 0) .. " failure(s): " .. err
elseif state == "IN_PROGRESS" then
  hs.message = "The snapshot is in progress"
else
  hs.message = "The snapshot is waiting to be triggered"
end
return hs
