#!/usr/bin/env bash
# Offline checks of infra/ beyond the linter: no Azure account, no what-if. `bicep snapshot`
# evaluates main.bicep the way ARM's preflight does (fixed subscription, group, region), so:
#   - parameter rules: the decorators in the compiled template, and each rule of
#     modules/checks.bicep refusing the deployment it must refuse, naming the rule;
#   - names: every resource name valid for its type, for the default and the extreme namePrefix;
#   - what a default deployment creates: private Postgres and Redis with Entra ID auth, the blob
#     role only, Flex per-instance concurrency, the Postgres pool sized from the SKU;
#   - scripts/postgres-app-role.sql grants rows and no DDL (scripts/check-postgres-role.sh);
#   - infra/tests/app-settings.snapshot.json still equals what shared.bicep appSettings yields
#     (SalesAuto.Core.Tests holds those settings against the settings Core reads).
# Exits non-zero on the first failed check. CI runs it (.ci/run).
#
#   scripts/check-infra.sh            run the checks
#   scripts/check-infra.sh --update   rewrite infra/tests/app-settings.snapshot.json, then check
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
command -v jq >/dev/null || { echo "[check-infra] jq is required (apt-get install jq)" >&2; exit 1; }
bicep=$(scripts/bicep.sh install)
work=$repo/.local/check-infra
rm -rf "$work"
mkdir -p "$work"
target=(--subscription-id 00000000-0000-0000-0000-000000000001 --resource-group rg-salesauto
  --location westeurope --tenant-id 00000000-0000-0000-0000-000000000002)
checks=0

log() { printf '[check-infra] %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }
pass() { checks=$((checks + 1)); }

# 1. The app settings snapshot (what the C# test reads) matches the template. Compared by hand:
# `bicep snapshot --mode validate` exits 0 on a differing snapshot (seen with 0.49.2).
snapshot_file=infra/tests/app-settings.snapshot.json
cp "$snapshot_file" "$work/app-settings.committed.json"
"$bicep" snapshot infra/tests/app-settings.bicepparam --mode overwrite "${target[@]}" >"$work/app-settings.log" 2>&1 \
  || { cat "$work/app-settings.log" >&2; fail "bicep snapshot infra/tests/app-settings.bicepparam"; }
# Compared as JSON with sorted keys: the snapshot writes its outputs in no fixed order.
if [ "${1:-}" != "--update" ] && ! diff -u <(jq -S . "$work/app-settings.committed.json") <(jq -S . "$snapshot_file") >"$work/app-settings.diff"; then
  cp "$work/app-settings.committed.json" "$snapshot_file"
  cat "$work/app-settings.diff" >&2
  fail "$snapshot_file differs from shared.bicep appSettings: run scripts/check-infra.sh --update and review the diff"
fi
pass

# 2. Parameter decorators as ARM gets them.
"$bicep" build infra/main.bicep --outfile "$work/main.json" >/dev/null 2>&1 || fail "bicep build infra/main.bicep"
rule() { # parameter, jq path below it, expected value
  local actual
  actual=$(jq -c ".parameters.$1.$2" "$work/main.json")
  [ "$actual" = "$3" ] || fail "parameter $1: $2 is $actual, expected $3"
  pass
}
rule functionMaximumInstanceCount minValue 40
rule functionMaximumInstanceCount maxValue 1000
rule namePrefix minLength 3
rule namePrefix maxLength 12
rule postgresAdministratorPassword minLength 12
rule postgresAuthentication defaultValue '"ManagedIdentity"'
rule redisAuthentication defaultValue '"ManagedIdentity"'
rule vnetEnabled defaultValue true
rule httpPerInstanceConcurrency defaultValue 16

# 3. Deployments evaluated offline. A case is a name and "param x = value" lines that replace the
# defaults below (the required parameters and one of everything).
declare -A defaults=(
  [postgresAdministratorPassword]="'a-long-enough-password'"
  [webhookSources]="{ hubspot: { kind: 'HubSpot', secrets: ['hubspot-client-secret'] }, lemlist: { kind: 'Lemlist', secrets: ['token-one-xyz', 'token-two-xyz'] }, partner: { kind: 'StandardWebhooks', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] } }"
  [adminKeys]="{ ops: '0123456789abcdef0123' }"
  [metricsKey]="'metrics-key-0123456789'"
  [privacyHashKey]="'privacy-hash-key-0123456789abcdef0123'"
)
snapshot() { # case name, then "name=value" overrides; writes $work/<case>.snapshot.json or fails
  local name=$1 key
  shift
  declare -A params=()
  for key in "${!defaults[@]}"; do params[$key]=${defaults[$key]}; done
  for key in "$@"; do params[${key%%=*}]=${key#*=}; done
  {
    echo "using '../../infra/main.bicep'"
    for key in "${!params[@]}"; do echo "param $key = ${params[$key]}"; done
  } >"$work/$name.bicepparam"
  "$bicep" snapshot "$work/$name.bicepparam" --mode overwrite "${target[@]}" >"$work/$name.log" 2>&1
}
refused() { # case name, the rule the refusal must name (an extended regex), overrides
  local name=$1 rule=$2
  shift 2
  if snapshot "$name" "$@"; then fail "$name: the deployment was accepted, expected a refusal naming $rule"; fi
  grep -Eq "$rule" "$work/$name.log" || { cat "$work/$name.log" >&2; fail "$name: refused, but not naming $rule"; }
  pass
}
accepted() {
  local name=$1
  snapshot "$@" || { cat "$work/$1.log" >&2; fail "$name: the deployment was refused"; }
  pass
}
q() { jq -r "$1" "$work/$2.snapshot.json"; }
expect() { # description, actual, expected
  [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
  pass
}
names_valid() { # case: every generated name fits its resource type
  local case=$1 type name pattern
  while IFS=$'\t' read -r type name; do
    case $type in
      Microsoft.Storage/storageAccounts) pattern='^[a-z0-9]{3,24}$' ;;
      Microsoft.Web/sites | Microsoft.Web/serverfarms) pattern='^[a-z0-9][a-z0-9-]{0,58}[a-z0-9]$' ;;
      Microsoft.DBforPostgreSQL/flexibleServers) pattern='^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$' ;;
      Microsoft.Cache/redisEnterprise) pattern='^[a-zA-Z][a-zA-Z0-9-]{0,58}[a-zA-Z0-9]$' ;;
      Microsoft.ManagedIdentity/userAssignedIdentities) pattern='^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$' ;;
      Microsoft.OperationalInsights/workspaces | Microsoft.Insights/components) pattern='^[a-zA-Z0-9][a-zA-Z0-9-]{2,62}$' ;;
      Microsoft.Network/virtualNetworks) pattern='^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9_]$' ;;
      Microsoft.KeyVault/vaults/secrets) name=${name%%/*}; pattern='^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$' ;; # the vault's name
      *) continue ;;
    esac
    [[ $name =~ $pattern ]] || fail "$case: $type name '$name' is not valid ($pattern)"
    pass
  done < <(jq -r '.predictedResources[] | [.type, .name] | @tsv' "$work/$case.snapshot.json")
  # The storage account and the vault are cut to 24 characters: they must stay unique per group.
  [ "$(q '[.predictedResources[] | select(.type == "Microsoft.Storage/storageAccounts")] | length' "$case")" = 1 ] || fail "$case: no storage account"
}

accepted default
names_valid default
expect "default: pool size" "$(q .outputs.postgresMaxPoolSize default)" 8
expect "default: Flex per-instance HTTP concurrency" "$(q '.predictedResources[] | select(.type == "Microsoft.Web/sites") | .properties.functionAppConfig.scaleAndConcurrency.triggers.http.perInstanceConcurrency' default)" 16
expect "default: VNet integration" "$(q '[.predictedResources[] | select(.type == "Microsoft.Network/virtualNetworks")] | length' default)" 1
expect "default: Postgres public access" "$(q '.predictedResources[] | select(.type == "Microsoft.DBforPostgreSQL/flexibleServers") | .properties.network.publicNetworkAccess' default)" Disabled
expect "default: Postgres Entra ID auth" "$(q '.predictedResources[] | select(.type == "Microsoft.DBforPostgreSQL/flexibleServers") | .properties.authConfig.activeDirectoryAuth' default)" Enabled
expect "default: Postgres firewall rules" "$(q '[.predictedResources[] | select(.type == "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules")] | length' default)" 0
expect "default: Redis public access" "$(q '.predictedResources[] | select(.type == "Microsoft.Cache/redisEnterprise") | .properties.publicNetworkAccess' default)" Disabled
expect "default: Redis access keys" "$(q '.predictedResources[] | select(.type == "Microsoft.Cache/redisEnterprise/databases") | .properties.accessKeysAuthentication' default)" Disabled
expect "default: Redis port" "$(q '.predictedResources[] | select(.type == "Microsoft.Cache/redisEnterprise/databases") | .properties.port' default)" 10000
expect "default: private endpoints" "$(q '[.predictedResources[] | select(.type == "Microsoft.Network/privateEndpoints")] | length' default)" 2
# Storage Blob Data Owner only: no Queue (974c5e8b...) or Table (0a9a7e1f...) data role.
expect "default: storage data roles" "$(q '[.predictedResources[] | select(.type == "Microsoft.Authorization/roleAssignments") | .properties.roleDefinitionId | select(test("b7e6dc6d|974c5e8b|0a9a7e1f"))] | map(split("/") | last) | join(",")' default)" b7e6dc6d-f1e8-4753-8033-0f276bb0955b

accepted shortest-prefix "namePrefix='abc'"
names_valid shortest-prefix
accepted longest-prefix "namePrefix='salesauto123'"
names_valid longest-prefix
# 12 + 2 + 13 characters: cut to 24, still a valid storage account name.
expect "longest prefix: storage name length" "$(q '.predictedResources[] | select(.type == "Microsoft.Storage/storageAccounts") | .name | length' longest-prefix)" 24

accepted public-password "vnetEnabled=false" "postgresAuthentication='Password'" "redisAuthentication='Password'"
names_valid public-password
expect "public: allow Azure services rule" "$(q '[.predictedResources[] | select(.type == "Microsoft.DBforPostgreSQL/flexibleServers/firewallRules")] | length' public-password)" 1
expect "public: Redis access keys" "$(q '.predictedResources[] | select(.type == "Microsoft.Cache/redisEnterprise/databases") | .properties.accessKeysAuthentication' public-password)" Enabled
expect "public: connection strings in Key Vault" "$(q '[.predictedResources[] | select(.type == "Microsoft.KeyVault/vaults/secrets") | .name | select(test("connection-string"))] | length' public-password)" 2

# max_connections 1718 - 25 kept back, over 100 + 10 + 2 instances: 15 each.
accepted larger-sku "functionMaximumInstanceCount=100" "postgresSkuName='Standard_D4ds_v5'" "postgresSkuTier='GeneralPurpose'"
expect "D4ds_v5 at 100 instances: pool size" "$(q .outputs.postgresMaxPoolSize larger-sku)" 15
accepted least-privilege "postgresAppIsAdministrator=false" "migrateOnStart=false"
expect "least privilege: Entra administrators" "$(q '[.predictedResources[] | select(.type == "Microsoft.DBforPostgreSQL/flexibleServers/administrators")] | length' least-privilege)" 0

# A literal out of range is refused by Bicep when it compiles the parameters (ARM names the
# parameter when the value comes from a JSON parameters file).
refused below-flex-minimum "minimum allowable value is 40" "functionMaximumInstanceCount=39"
refused above-flex-maximum "maximum allowable value is 1000" "functionMaximumInstanceCount=1001"
refused prefix-with-dash invalidNamePrefix "namePrefix='sales-auto'"
refused prefix-upper-case invalidNamePrefix "namePrefix='SalesAuto'"
refused prefix-too-short "minimum allowable length is 3" "namePrefix='ab'"
# The rules on webhookSources, adminKeys and metricsKey (invalidWebhookSourceNames,
# invalidAdminKeyNames, shortAdminKeys, metricsKeyNameTaken) read secure parameters, which an
# offline snapshot does not evaluate (ARM's preflight does). Their functions, isName and isAdminKey,
# are evaluated in infra/tests/app-settings.snapshot.json instead; the C# test compares them with Core.
verdict() { jq -r --arg value "$2" ".outputs.$1[] | select(.value == \$value) | .valid" infra/tests/app-settings.snapshot.json; }
expect "isName('a-b')" "$(verdict nameRule a-b)" false
expect "isName('a_b')" "$(verdict nameRule a_b)" false
expect "isName('hubspot')" "$(verdict nameRule hubspot)" true
expect "isAdminKey of 15 characters" "$(verdict adminKeyRule fifteen-chars-x)" false
expect "isAdminKey of 16 characters" "$(verdict adminKeyRule sixteen-chars-xx)" true
refused smallest-sku postgresConnectionsPerInstance "postgresSkuName='Standard_B1ms'"
refused pool-too-large postgresConnectionsPerInstance "postgresMaxPoolSize=20"
refused unknown-sku unknownPostgresSku "postgresSkuName='Standard_X1'"
refused migrate-without-ownership migrateWithoutOwnership "postgresAppIsAdministrator=false"

log "$checks checks passed"

# 4. The least-privilege grants of scripts/postgres-app-role.sql, on a throwaway local cluster.
scripts/check-postgres-role.sh
