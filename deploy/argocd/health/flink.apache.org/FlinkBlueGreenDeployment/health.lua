-- Health of a FlinkBlueGreenDeployment (Flink Kubernetes Operator 1.15): ACTIVE_BLUE and
-- ACTIVE_GREEN are its stable states; initializing, savepointing and transitioning are
-- progress; a failing or failed job is degraded with the operator's error (an aborted
-- transition goes back to the previous ACTIVE state with the job FAILING and "Aborting
-- deployment ..."). Shipped by kiln; Argo CD has none built in.
local hs = {}

if obj.status == nil or obj.status.blueGreenState == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Flink operator"
  return hs
end

local state = obj.status.blueGreenState
local job = ""
if obj.status.jobStatus ~= nil and obj.status.jobStatus.state ~= nil then
  job = obj.status.jobStatus.state
end
local err = obj.status.error

if job == "FAILED" or job == "FAILING" then
  hs.status = "Degraded"
  hs.message = err or ("The job is " .. string.lower(job) .. " (" .. state .. ")")
  return hs
end

if state == "ACTIVE_BLUE" or state == "ACTIVE_GREEN" then
  if err ~= nil and err ~= "" then
    hs.status = "Degraded"
    hs.message = err
    return hs
  end
  hs.status = "Healthy"
  hs.message = (state == "ACTIVE_BLUE" and "Blue" or "Green") .. " is active"
  return hs
end

hs.status = "Progressing"
hs.message = state
return hs
