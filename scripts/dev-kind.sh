#!/usr/bin/env bash
# npm run dev:kind: agentyard on a local kind cluster, for people with Docker.
#   1. creates the kind cluster (KIND_CLUSTER, default "agentyard") unless it exists;
#   2. builds the agentyard image (operator and api) and the agent image, tagged with package.json's
#      version, and loads both into the cluster;
#   3. installs the Helm chart into agentyard-system (helm from PATH, else the one the tests build);
#   4. with TAILSCALE_OAUTH_CLIENT_ID and TAILSCALE_OAUTH_CLIENT_SECRET set, installs the Tailscale
#      operator so that Orgs with `mesh.provider: tailscale` put their editors on your tailnet.
# Needs docker, kind and kubectl on PATH. Re-running it upgrades in place.
set -euo pipefail

cd "$(dirname "$0")/.."
cluster="${KIND_CLUSTER:-agentyard}"
namespace="${AGENTYARD_NAMESPACE:-agentyard-system}"
version="$(node -p 'require("./package.json").version')"

step() { printf '\n==> %s\n' "$*"; }
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "dev:kind needs $1 on PATH" >&2
    exit 1
  fi
}
need docker
need kind
need kubectl

if command -v helm >/dev/null 2>&1; then
  helm=helm
else
  step "building helm from its Go module (first time only)"
  helm="$(node --input-type=module -e 'import { ensureTool } from "./devcluster/tools.ts"; console.log(await ensureTool("helm"));')"
fi

step "kind cluster ${cluster}"
if ! kind get clusters | grep -qx "${cluster}"; then
  kind create cluster --name "${cluster}" --wait 120s
fi
kubectl config use-context "kind-${cluster}"

step "images agentyard/agentyard:${version} and agentyard/agent:${version}"
docker build -t "agentyard/agentyard:${version}" .
npm run build:agent
docker build -t "agentyard/agent:${version}" agent-image
kind load docker-image --name "${cluster}" "agentyard/agentyard:${version}" "agentyard/agent:${version}"

if [[ -n "${TAILSCALE_OAUTH_CLIENT_ID:-}" && -n "${TAILSCALE_OAUTH_CLIENT_SECRET:-}" ]]; then
  step "Tailscale operator"
  "${helm}" repo add tailscale https://pkgs.tailscale.com/helmcharts >/dev/null
  "${helm}" repo update tailscale >/dev/null
  "${helm}" upgrade --install tailscale-operator tailscale/tailscale-operator \
    --namespace tailscale --create-namespace --wait \
    --set-string oauth.clientId="${TAILSCALE_OAUTH_CLIENT_ID}" \
    --set-string oauth.clientSecret="${TAILSCALE_OAUTH_CLIENT_SECRET}"
fi

step "agentyard chart into ${namespace}"
kubectl create namespace "${namespace}" --dry-run=client -o yaml | kubectl apply -f -
kubectl label namespace "${namespace}" --overwrite pod-security.kubernetes.io/enforce=restricted
# kind's default CNI does not enforce NetworkPolicies; they are installed all the same.
"${helm}" upgrade --install agentyard charts/agentyard --namespace "${namespace}" --wait

step "ready"
cat <<NEXT
  kubectl apply -f orgs.example.yaml
  kubectl get orgs,agenttasks -A
  kubectl -n ${namespace} port-forward service/agentyard-api 8080:80
Remove everything with: kind delete cluster --name ${cluster}
NEXT
