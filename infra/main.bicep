// SalesAuto on Azure: the Functions app on Flex Consumption with everything it needs, in one
// resource group. docs/deploy.md walks through a deployment.
//
//   az deployment group create -g <group> -f infra/main.bicep -p postgresAdministratorPassword=... -p webhookSources=@sources.json
targetScope = 'resourceGroup'

import { tagMap, webhookSourceMap, firewallRule } from 'modules/shared.bicep'

@description('Azure region of every resource. Flex Consumption and Azure Managed Redis must both be offered there.')
param location string = resourceGroup().location

@description('Short lower-case prefix of every resource name (letters and digits); a hash of the resource group keeps names unique.')
@minLength(3)
@maxLength(12)
param namePrefix string = 'salesauto'

@description('Tags put on every resource.')
param tags tagMap = {
  app: 'salesauto'
}

@description('Webhook sources, e.g. {"hubspot": {"kind": "HubSpot", "secrets": ["<client secret>"]}}. Each secret is stored in Key Vault only.')
param webhookSources webhookSourceMap

@description('Most instances the function app may scale out to. Instances x postgresMaxPoolSize must stay under the Postgres server\'s max_connections.')
@minValue(1)
@maxValue(1000)
param functionMaximumInstanceCount int = 40

@description('Memory of each function app instance in MB.')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('Concurrent HTTP requests one instance takes before Flex Consumption adds another.')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

@description('RetryQueue:Schedule: when the retry cycle runs, 6-field NCRONTAB (seconds first), UTC.')
param retryQueueSchedule string = '*/10 * * * * *'

@description('DeadLetters:RetentionSchedule: when resolved dead letters past their retention are deleted, 6-field NCRONTAB.')
param deadLetterRetentionSchedule string = '0 17 * * * *'

@description('Apply pending Postgres migrations when an instance starts (false: run them from a deploy job, docs/deploy.md).')
param migrateOnStart bool = true

@description('Key for GET /api/metrics (header x-functions-key or query code), at least 16 characters; empty leaves the endpoint public.')
@secure()
param metricsKey string = ''

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

@description('PostgreSQL compute SKU. Standard_B2s allows about 400 connections; Standard_B1ms only 50.')
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

@description('PostgreSQL administrator login; the app connects with it and it owns the schema.')
param postgresAdministratorLogin string = 'salesauto_admin'

@description('PostgreSQL administrator password (stored in Key Vault; the app never sees it outside the connection string).')
@secure()
@minLength(12)
param postgresAdministratorPassword string

@description('Allow connections to Postgres from any Azure service. Required unless the app is put in a VNet (Flex Consumption has no fixed outbound addresses).')
param postgresAllowAzureServices bool = true

@description('Extra Postgres firewall rules, e.g. [{"name": "ops", "startIpAddress": "203.0.113.7", "endIpAddress": "203.0.113.7"}].')
param postgresFirewallRules firewallRule[] = []

@description('Npgsql Maximum Pool Size per instance.')
@minValue(1)
@maxValue(100)
param postgresMaxPoolSize int = 8

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

@description('Object ID of the user or group that rotates secrets: gets Key Vault Secrets Officer. Empty for none.')
param operatorPrincipalId string = ''

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
}
var secretNames = {
  postgres: 'postgres-connection-string'
  redis: 'redis-connection-string'
}

// What the app settings need to know of the webhook sources: names, kinds, counts; no secret.
var webhookLayout = map(
  items(webhookSources),
  source => {
    name: source.key
    kind: source.value.kind
    secretCount: length(source.value.secrets)
  }
)

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
    metricsKey: metricsKey
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
    keyVaultName: names.keyVault
    connectionStringSecretName: secretNames.redis
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
    maxPoolSize: postgresMaxPoolSize
    keyVaultName: names.keyVault
    connectionStringSecretName: secretNames.postgres
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
    postgresSecretName: secretNames.postgres
    redisSecretName: secretNames.redis
    webhookSources: webhookLayout
    metricsKeyEnabled: !empty(metricsKey)
    retryQueueSchedule: retryQueueSchedule
    deadLetterRetentionSchedule: deadLetterRetentionSchedule
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    migrateOnStart: migrateOnStart
  }
  // The app reads storage, Key Vault and Application Insights as soon as it starts: grant first.
  // Key Vault secrets must exist before the references in its app settings are resolved.
  dependsOn: [
    roles
    redis
    postgres
  ]
}

@description('Function app name (for func azure functionapp publish and az functionapp commands).')
output functionAppName string = functionApp.outputs.name

@description('The URL providers post to; {source} is a key of webhookSources.')
output webhookUrlPattern string = 'https://${functionApp.outputs.defaultHostName}/api/webhooks/{source}'

@description('Base URL of the dead-letter admin API (needs a function key: header x-functions-key or query code).')
output adminBaseUrl string = 'https://${functionApp.outputs.defaultHostName}/api/dlq'

@description('Key Vault holding the secrets (rotation, docs/deploy.md).')
output keyVaultName string = keyVault.outputs.name

@description('PostgreSQL server host name.')
output postgresHost string = postgres.outputs.fullyQualifiedDomainName

@description('Redis host name.')
output redisHost string = redis.outputs.hostName
