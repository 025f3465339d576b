// SalesAuto on Azure: the Functions app on Flex Consumption with everything it needs, in one
// resource group. docs/deploy.md walks through a deployment; scripts/check-infra.sh checks this
// template offline (parameter rules, names, app settings against the settings Core reads).
//
//   az deployment group create -g <group> -f infra/main.bicep -p @.local/salesauto.parameters.json
targetScope = 'resourceGroup'

import { tagMap, webhookSourceMap, adminKeyMap, firewallRule, authentication, isName, isAdminKey, keyVaultReference } from 'modules/shared.bicep'

@description('Azure region of every resource. Flex Consumption and Azure Managed Redis must both be offered there.')
param location string = resourceGroup().location

@description('Prefix of every resource name: 3 to 12 lower-case letters and digits (the storage account name allows nothing else; checked by modules/checks.bicep). A hash of the resource group keeps names unique.')
@minLength(3)
@maxLength(12)
param namePrefix string = 'salesauto'

@description('Tags put on every resource.')
param tags tagMap = {
  app: 'salesauto'
}

@description('Webhook sources, e.g. {"hubspot": {"kind": "HubSpot", "secrets": ["<client secret>"]}}; names are 1 to 64 lower-case letters and digits. Each secret is stored in Key Vault only.')
param webhookSources webhookSourceMap

@description('Admin keys by name, e.g. {"ops": "<32 random characters>"}: Admin:Keys:{name}, the keys of the admin routes on both hosts. Names are 1 to 64 lower-case letters and digits, keys at least 16 characters. Each is stored in Key Vault only.')
param adminKeys adminKeyMap = {}

@description('Most instances the function app may scale out to, per function group (the HTTP functions are one group; each timer runs on its own). Flex Consumption allows 40 to 1000. Sizes the Postgres pool.')
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 40

@description('Memory of each function app instance in MB.')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('Concurrent HTTP requests one instance takes before Flex Consumption adds another (Flex ignores the host.json HTTP concurrency limits).')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

@description('RetryQueue:Schedule: when the retry cycle runs, 6-field NCRONTAB (seconds first), UTC.')
param retryQueueSchedule string = '*/10 * * * * *'

@description('DeadLetters:RetentionSchedule: when resolved dead letters past their retention are deleted, 6-field NCRONTAB.')
param deadLetterRetentionSchedule string = '0 17 * * * *'

@description('Apply pending Postgres migrations when an instance starts (false: run them from a deploy job, docs/deploy.md).')
param migrateOnStart bool = true

@description('Key for GET /api/metrics (header x-functions-key or query code), at least 16 characters: stored as the admin key "metrics" and sets Metrics:RequireKey. Empty leaves the endpoint public.')
@secure()
param metricsKey string = ''

@description('Put the app in a virtual network and reach Postgres and Redis on private endpoints only (their public network access off).')
param vnetEnabled bool = true

@description('How the app signs in to Postgres: ManagedIdentity (Entra ID token of its identity; no password in any setting) or Password (the administrator login, its connection string in Key Vault).')
param postgresAuthentication authentication = 'ManagedIdentity'

@description('With ManagedIdentity: the app\'s identity is a Postgres Entra administrator, so it owns the schema and can migrate on start. false: least privilege, the app gets DML only from scripts/postgres-app-role.sql, and migrations run from the deploy job (migrateOnStart must be false).')
param postgresAppIsAdministrator bool = true

@description('How the app signs in to Redis: ManagedIdentity (Entra ID token; access keys disabled) or Password (the access key, in Key Vault).')
param redisAuthentication authentication = 'ManagedIdentity'

@description('Key of the suppression list\'s keyed hashes (Privacy:HashKeys:0), at least 32 random characters; stored in Key Vault as privacy-hash-key-0. Keep it: suppressions written under it are found only while it is listed (docs/privacy.md).')
@secure()
@minLength(32)
param privacyHashKey string

@description('PostgreSQL major version.')
@allowed([
  '15'
  '16'
])
param postgresVersion string = '16'

@description('PostgreSQL compute SKU; its max_connections sizes the pool (docs/deploy.md). Standard_B1ms (50 connections) cannot serve 40 instances.')
param postgresSkuName string = 'Standard_B2s'

@description('PostgreSQL compute tier matching postgresSkuName.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresSkuTier string = 'Burstable'

@description('PostgreSQL storage in GiB (grows automatically).')
@minValue(32)
param postgresStorageSizeGB int = 32

@description('PostgreSQL password administrator login: the deploy job\'s (migrations, least-privilege grants) and break-glass access; the app connects with it only with postgresAuthentication Password.')
param postgresAdministratorLogin string = 'salesauto_admin'

@description('PostgreSQL administrator password (stored in Key Vault; the app never sees it outside the connection string).')
@secure()
@minLength(12)
param postgresAdministratorPassword string

@description('Without vnetEnabled: allow connections to Postgres from any Azure service (any tenant\'s), which Flex Consumption needs there (no fixed outbound addresses). Ignored with vnetEnabled.')
param postgresAllowAzureServices bool = !vnetEnabled

@description('Extra Postgres firewall rules, e.g. [{"name": "ops", "startIpAddress": "203.0.113.7", "endIpAddress": "203.0.113.7"}]. Ignored with vnetEnabled (public access is off).')
param postgresFirewallRules firewallRule[] = []

@description('The server\'s max_connections; 0: Azure\'s default for postgresSkuName (table in main.bicep). Set it for a SKU not in the table or a changed server parameter.')
@minValue(0)
param postgresMaxConnections int = 0

@description('Npgsql Maximum Pool Size per instance; 0: computed from max_connections and functionMaximumInstanceCount (docs/deploy.md, "Postgres connections"). A value that does not fit is refused.')
@minValue(0)
@maxValue(100)
param postgresMaxPoolSize int = 0

@description('Azure Managed Redis SKU.')
param redisSkuName string = 'Balanced_B0'

@description('Redis AOF persistence: parked orphans survive a Redis node restart.')
param redisAofPersistence bool = true

@description('Key Vault purge protection (cannot be turned off again; a deleted vault then blocks its name for 90 days).')
param keyVaultPurgeProtection bool = true

@description('Application Insights accepts only Entra-authenticated telemetry.')
param appInsightsDisableLocalAuth bool = true

@description('Log Analytics retention in days.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Object ID of the user or group that operates the app: gets Key Vault Secrets Officer (rotation), and with operatorPrincipalName becomes a Postgres Entra administrator. Empty for none.')
param operatorPrincipalId string = ''

@description('Display name of operatorPrincipalId (its Postgres role name). Empty: not a Postgres administrator.')
param operatorPrincipalName string = ''

@description('What operatorPrincipalId is.')
@allowed([
  'User'
  'Group'
])
param operatorPrincipalType string = 'Group'

var suffix = uniqueString(resourceGroup().id, namePrefix)
var names = {
  identity: 'id-${namePrefix}-${suffix}'
  workspace: 'log-${namePrefix}-${suffix}'
  appInsights: 'appi-${namePrefix}-${suffix}'
  storage: take('st${namePrefix}${suffix}', 24)
  keyVault: take('kv-${namePrefix}-${suffix}', 24)
  redis: 'redis-${namePrefix}-${suffix}'
  postgres: 'psql-${namePrefix}-${suffix}'
  plan: 'plan-${namePrefix}-${suffix}'
  functionApp: 'func-${namePrefix}-${suffix}'
  network: 'vnet-${namePrefix}-${suffix}'
}
var secretNames = {
  postgres: 'postgres-connection-string'
  redis: 'redis-connection-string'
}

// Admin keys, the metrics key among them as "metrics" (it is one: Metrics:RequireKey asks for an admin key).
var allAdminKeys = union(adminKeys, empty(metricsKey) ? {} : { metrics: metricsKey })

// Postgres connection budget (docs/deploy.md, "Postgres connections"). Azure's default max_connections
// per SKU; 15 of them Azure reserves for itself, and 10 are kept for operators and the deploy job.
var postgresMaxConnectionsBySku = {
  Standard_B1ms: 50
  Standard_B2s: 429
  Standard_B2ms: 859
  Standard_B4ms: 1718
  Standard_B8ms: 3437
  Standard_B12ms: 5000
  Standard_B16ms: 5000
  Standard_B20ms: 5000
  Standard_D2ds_v5: 859
  Standard_D4ds_v5: 1718
  Standard_D8ds_v5: 3437
  Standard_D16ds_v5: 5000
  Standard_D2ads_v5: 859
  Standard_D4ads_v5: 1718
  Standard_D8ads_v5: 3437
  Standard_D16ads_v5: 5000
  Standard_E2ds_v5: 1718
  Standard_E4ds_v5: 3437
  Standard_E8ds_v5: 5000
}
var postgresServerConnections = postgresMaxConnections > 0 ? postgresMaxConnections : (postgresMaxConnectionsBySku[?postgresSkuName] ?? 0)
var postgresConnectionBudget = max(postgresServerConnections - 15 - 10, 0)
// Every instance that may hold a pool at once: the HTTP group at its cap, 10% over it (a burst can
// exceed the cap while instances are added), and one instance per timer function.
var appInstances = functionMaximumInstanceCount + (functionMaximumInstanceCount + 9) / 10 + 2
// More than 20 per instance buys nothing: an instance serves httpPerInstanceConcurrency requests.
var postgresPoolSize = postgresMaxPoolSize > 0 ? postgresMaxPoolSize : min(postgresConnectionBudget / appInstances, 20)

// What the app settings need to know of the webhook sources: names, kinds, counts; no secret.
var webhookLayout = map(
  items(webhookSources),
  source => {
    name: source.key
    kind: source.value.kind
    secretCount: length(source.value.secrets)
  }
)

// The rules decorators cannot state; ARM checks them before it creates anything (modules/checks.bicep).
module checks 'modules/checks.bicep' = {
  name: 'checks'
  params: {
    invalidWebhookSourceNames: length(filter(objectKeys(webhookSources), name => !isName(name)))
    invalidAdminKeyNames: length(filter(objectKeys(adminKeys), name => !isName(name)))
    shortAdminKeys: length(filter(items(allAdminKeys), key => !isAdminKey(key.value)))
    // A broken single rule is 1. Through int(), because Bicep refuses at compile time a value it
    // can see may exceed the maximum: ARM is the one to refuse it, naming the rule.
    metricsKeyNameTaken: int(!empty(metricsKey) && contains(adminKeys, 'metrics') ? '1' : '0')
    invalidNamePrefix: int(isName(namePrefix) ? '0' : '1')
    unknownPostgresSku: int(postgresServerConnections == 0 ? '1' : '0')
    postgresConnectionsPerInstance: postgresPoolSize * appInstances <= postgresConnectionBudget ? postgresPoolSize : 0
    migrateWithoutOwnership: int(migrateOnStart && postgresAuthentication == 'ManagedIdentity' && !postgresAppIsAdministrator ? '1' : '0')
  }
}

module network 'modules/network.bicep' = if (vnetEnabled) {
  name: 'network'
  params: {
    name: names.network
    location: location
    tags: tags
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
    disableLocalAuth: appInsightsDisableLocalAuth
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: tags
    deploymentContainerName: 'app-package'
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: names.keyVault
    location: location
    tags: tags
    enablePurgeProtection: keyVaultPurgeProtection
    webhookSources: webhookSources
    adminKeys: allAdminKeys
    privacyHashKey: privacyHashKey
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  params: {
    name: names.redis
    location: location
    tags: tags
    skuName: redisSkuName
    aofPersistence: redisAofPersistence
    appAuthentication: redisAuthentication
    appPrincipalId: identity.outputs.principalId
    keyVaultName: names.keyVault
    connectionStringSecretName: secretNames.redis
    privateAccess: vnetEnabled
    privateEndpointSubnetId: vnetEnabled ? network!.outputs.privateEndpointSubnetId : ''
    privateDnsZoneId: vnetEnabled ? network!.outputs.redisZoneId : ''
  }
  dependsOn: [
    keyVault
  ]
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  params: {
    name: names.postgres
    location: location
    tags: tags
    version: postgresVersion
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    storageSizeGB: postgresStorageSizeGB
    administratorLogin: postgresAdministratorLogin
    administratorPassword: postgresAdministratorPassword
    allowAzureServices: postgresAllowAzureServices
    firewallRules: postgresFirewallRules
    maxPoolSize: checks.outputs.postgresMaxPoolSize
    appAuthentication: postgresAuthentication
    appIdentityName: names.identity
    entraAdministrators: concat(
      postgresAuthentication == 'ManagedIdentity' && postgresAppIsAdministrator
        ? [{ objectId: identity.outputs.principalId, principalName: names.identity, principalType: 'ServicePrincipal' }]
        : [],
      !empty(operatorPrincipalId) && !empty(operatorPrincipalName)
        ? [{ objectId: operatorPrincipalId, principalName: operatorPrincipalName, principalType: operatorPrincipalType }]
        : []
    )
    keyVaultName: names.keyVault
    connectionStringSecretName: secretNames.postgres
    privateAccess: vnetEnabled
    privateEndpointSubnetId: vnetEnabled ? network!.outputs.privateEndpointSubnetId : ''
    privateDnsZoneId: vnetEnabled ? network!.outputs.postgresZoneId : ''
  }
  dependsOn: [
    keyVault
  ]
}

// Names, not module outputs, go into the modules that use them as resource names, so what-if can
// predict them; dependsOn keeps the order the outputs would have given.
module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    identityId: resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', names.identity)
    principalId: identity.outputs.principalId
    storageAccountName: names.storage
    keyVaultName: names.keyVault
    appInsightsName: names.appInsights
    operatorPrincipalId: operatorPrincipalId
  }
  dependsOn: [
    storage
    keyVault
    monitoring
  ]
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    keyVaultUri: keyVault.outputs.vaultUri
    postgresConnectionString: postgresAuthentication == 'ManagedIdentity'
      ? postgres.outputs.managedIdentityConnectionString
      : keyVaultReference(keyVault.outputs.vaultUri, secretNames.postgres)
    postgresAuthentication: postgresAuthentication
    redisConnectionString: redisAuthentication == 'ManagedIdentity'
      ? redis.outputs.managedIdentityConnectionString
      : keyVaultReference(keyVault.outputs.vaultUri, secretNames.redis)
    redisAuthentication: redisAuthentication
    webhookSources: webhookLayout
    adminKeyNames: map(items(allAdminKeys), key => key.key)
    metricsRequireKey: !empty(metricsKey)
    retryQueueSchedule: retryQueueSchedule
    deadLetterRetentionSchedule: deadLetterRetentionSchedule
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    migrateOnStart: migrateOnStart
    virtualNetworkSubnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
  }
  // The app reads storage, Key Vault and Application Insights as soon as it starts: grant first.
  // Key Vault secrets must exist before the references in its app settings are resolved. Even so a
  // role assignment takes minutes to reach Key Vault: on a first deployment a reference can fail
  // and the app starts with the literal "@Microsoft.KeyVault(...)" (Core stops naming the setting);
  // restart the app once after it (docs/deploy.md, "Key Vault references").
  dependsOn: [
    roles
  ]
}

@description('Function app name (for az functionapp deploy and the other az functionapp commands).')
output functionAppName string = functionApp.outputs.name

@description('The URL providers post to; {source} is a key of webhookSources.')
output webhookUrlPattern string = 'https://${functionApp.outputs.defaultHostName}/api/webhooks/{source}'

@description('Base URL of the dead-letter admin API (needs an admin key, adminKeys: header x-functions-key or query code).')
output adminBaseUrl string = 'https://${functionApp.outputs.defaultHostName}/api/dlq'

@description('Key Vault holding the secrets (rotation, docs/deploy.md).')
output keyVaultName string = keyVault.outputs.name

@description('PostgreSQL server host name.')
output postgresHost string = postgres.outputs.fullyQualifiedDomainName

@description('Redis host name.')
output redisHost string = redis.outputs.hostName

@description('Npgsql Maximum Pool Size each instance got (docs/deploy.md, "Postgres connections").')
output postgresMaxPoolSize int = checks.outputs.postgresMaxPoolSize
