// Not deployed. Evaluates shared.bicep appSettings offline, for both authentication choices, with
// placeholder inputs shaped like the real ones, and the naming and key rules on sample values (the
// rules main.bicep applies to the secure webhookSources and adminKeys, which an offline snapshot
// cannot see): `bicep snapshot` writes the result to
// app-settings.snapshot.json, which scripts/check-infra.sh keeps equal to this template and
// SalesAuto.Core.Tests (Infra/AppSettingsTemplateTests) holds against the settings Core reads.
import { appSettings, appSettingMap, appSettingsInputs, isName, isAdminKey } from '../modules/shared.bicep'

// A placeholder vault (environment() is not evaluated offline; the real URI comes from the vault).
var keyVaultUri = 'https://kv-salesauto-abc123.vault.example/'

var common = {
  storageAccountName: 'stsalesautoabc123'
  identityClientId: '11111111-2222-3333-4444-555555555555'
  appInsightsConnectionString: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/'
  keyVaultUri: keyVaultUri
  publicBaseUrl: 'https://func-salesauto-abc123.azurewebsites.net'
  migrateOnStart: true
  retryQueueSchedule: '*/10 * * * * *'
  deadLetterRetentionSchedule: '0 17 * * * *'
  metricsRequireKey: true
  webhookSources: [
    { name: 'hubspot', kind: 'HubSpot', secretCount: 1 }
    { name: 'lemlist', kind: 'Lemlist', secretCount: 2 }
    { name: 'partner', kind: 'StandardWebhooks', secretCount: 1 }
  ]
  adminKeyNames: [
    'ops'
    'metrics'
  ]
}

var managedIdentity appSettingsInputs = union(common, {
  postgresConnectionString: 'Host=psql-salesauto-abc123.postgres.database.azure.com;Port=5432;Database=salesauto;Username=id-salesauto-abc123;SSL Mode=VerifyFull;Maximum Pool Size=8'
  postgresAuthentication: 'ManagedIdentity'
  redisConnectionString: 'redis-salesauto-abc123.westeurope.redis.azure.net:10000,ssl=True,abortConnect=False'
  redisAuthentication: 'ManagedIdentity'
})

var password appSettingsInputs = union(common, {
  postgresConnectionString: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/postgres-connection-string)'
  postgresAuthentication: 'Password'
  redisConnectionString: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/redis-connection-string)'
  redisAuthentication: 'Password'
})

@description('The app settings of a managed-identity deployment (the default).')
output managedIdentityAuthentication appSettingMap = appSettings(managedIdentity)

@description('The app settings of a deployment whose Postgres and Redis credentials are in Key Vault (Password).')
output keyVaultAuthentication appSettingMap = appSettings(password)

@description('Names and their verdict under shared.bicep isName; SalesAuto.Core.Tests gives Core\'s verdict on the same names.')
output nameRule verdict[] = map(
  ['hubspot', 'lemlist2', 'a', 'a-b', 'a_b', 'HubSpot', 'ops team', '', 'é', '0123456789012345678901234567890123456789012345678901234567890123', '01234567890123456789012345678901234567890123456789012345678901234'],
  name => { value: name, valid: isName(name) }
)

@description('Keys of 15, 16 and 17 characters and their verdict under shared.bicep isAdminKey (Core: at least 16).')
output adminKeyRule verdict[] = map(['fifteen-chars-x', 'sixteen-chars-xx', 'seventeen-chars-x'], key => { value: key, valid: isAdminKey(key) })

@description('A value and whether a rule accepts it.')
type verdict = {
  @description('The name or key.')
  value: string

  @description('Whether the rule accepts it.')
  valid: bool
}
