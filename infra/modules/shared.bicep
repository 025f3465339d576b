// Types, naming and the app settings, shared by main.bicep, the modules and the offline checks
// (compile-time imports, no deployment). infra/tests/ evaluates appSettings and isName offline.

@export()
@description('One webhook source (Webhooks:Sources:{name} in DESIGN.md).')
type webhookSource = {
  @description('How the source proves its deliveries.')
  kind: 'HubSpot' | 'Lemlist' | 'StandardWebhooks'

  @description('Secrets accepted for the source, all at once: add the new one, switch the provider, remove the old one.')
  @minLength(1)
  secrets: string[]
}

@export()
@secure()
@description('Webhook sources by name (isName: 1 to 64 lower-case letters and digits): the {source} segment of /api/webhooks/{source}.')
type webhookSourceMap = {
  *: webhookSource
}

@export()
@secure()
@description('Admin keys by name (isName: 1 to 64 lower-case letters and digits), each at least 16 characters: Admin:Keys:{name}. The name is what the audit log records.')
type adminKeyMap = {
  *: string
}

@export()
@description('What the function app needs to know of a webhook source: never its secrets, only how many there are.')
type webhookSourceLayout = {
  @description('Source name.')
  name: string

  @description('How the source proves its deliveries.')
  kind: 'HubSpot' | 'Lemlist' | 'StandardWebhooks'

  @description('Number of secrets stored for it in Key Vault.')
  secretCount: int
}

@export()
@description('A Postgres firewall rule: an inclusive IPv4 range allowed to connect.')
type firewallRule = {
  @description('Rule name (letters, digits, "-", "_").')
  name: string

  @description('First address of the range.')
  startIpAddress: string

  @description('Last address of the range.')
  endIpAddress: string
}

@export()
@description('Resource tags.')
type tagMap = {
  *: string
}

@export()
@description('How the app signs in to Postgres and Redis: the managed identity\'s Entra ID tokens, or a password / access key kept in Key Vault.')
type authentication = 'ManagedIdentity' | 'Password'

@export()
@description('App settings: name to value.')
type appSettingMap = {
  *: string
}

@export()
@description('Everything the function app\'s settings are made of (appSettings).')
type appSettingsInputs = {
  @description('Storage account of AzureWebJobsStorage.')
  storageAccountName: string

  @description('Client ID of the app\'s user-assigned identity.')
  identityClientId: string

  @description('APPLICATIONINSIGHTS_CONNECTION_STRING.')
  appInsightsConnectionString: string

  @description('Key Vault URI, ending in "/".')
  keyVaultUri: string

  @description('Webhooks:PublicBaseUrl, the origin providers call.')
  publicBaseUrl: string

  @description('ConnectionStrings:Postgres as the app setting holds it: a Key Vault reference (Password) or the plain string (ManagedIdentity: no secret in it).')
  postgresConnectionString: string

  @description('Postgres:Authentication.')
  postgresAuthentication: authentication

  @description('ConnectionStrings:Redis as the app setting holds it, like postgresConnectionString.')
  redisConnectionString: string

  @description('Redis:Authentication.')
  redisAuthentication: authentication

  @description('Postgres:MigrateOnStart.')
  migrateOnStart: bool

  @description('RetryQueue:Schedule (and SALESAUTO_RETRY_SCHEDULE).')
  retryQueueSchedule: string

  @description('DeadLetters:RetentionSchedule (and SALESAUTO_RETENTION_SCHEDULE).')
  deadLetterRetentionSchedule: string

  @description('Metrics:RequireKey.')
  metricsRequireKey: bool

  @description('Webhook sources: names, kinds, secret counts.')
  webhookSources: webhookSourceLayout[]

  @description('Admin key names (Admin:Keys:{name}); the keys are in Key Vault.')
  adminKeyNames: string[]
}

@export()
@description('''The naming rule of webhook sources and admin keys, the same as Core's (WebhookOptions): 1 to 64 lower-case letters and digits. A name goes verbatim into app-setting names (Linux allows no "-") and Key Vault secret names (no "_"), so any other character would need a mapping that two names could share. Bicep has no regular expressions: every allowed character is removed and nothing may remain.''')
func isName(name string) bool =>
  length(name) >= 1 && length(name) <= 64 && empty(reduce(
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    name,
    (rest, character) => replace(rest, character, '')
  ))

@export()
@description('Whether an admin key is long enough for Core (AdminOptions.MinKeyLength): a shorter one stops every instance at start.')
func isAdminKey(key string) bool => length(key) >= 16

@export()
@description('The Key Vault secret that holds webhook secret {index} of source {source} (isName: no mapping needed).')
func webhookSecretName(source string, index int) string => 'webhook-${source}-${index}'

@export()
@description('The Key Vault secret that holds admin key {name} (isName: no mapping needed).')
func adminKeySecretName(name string) string => 'admin-key-${name}'

@export()
@description('A Key Vault reference an app setting resolves with the app\'s key vault reference identity. Versionless, so a new secret version is picked up without redeploying.')
func keyVaultReference(vaultUri string, secretName string) string => '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretName})'

// App settings are environment variables: "__" is the ":" of .NET configuration on Linux.
// Flex Consumption sets the runtime in functionAppConfig.runtime and refuses the settings it
// replaces (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE, ...).
@export()
@description('Every app setting of the function app. A function, so the offline check (infra/tests/) evaluates the very names the app gets and compares them with the settings Core reads.')
func appSettings(inputs appSettingsInputs) appSettingMap =>
  union(
    {
      // Identity-based host storage: no connection string, the identity's Entra token.
      AzureWebJobsStorage__accountName: inputs.storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: inputs.identityClientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: inputs.appInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${inputs.identityClientId};Authorization=AAD'
      ConnectionStrings__Postgres: inputs.postgresConnectionString
      ConnectionStrings__Redis: inputs.redisConnectionString
      Postgres__Authentication: inputs.postgresAuthentication
      Redis__Authentication: inputs.redisAuthentication
      // The identity whose tokens Postgres and Redis accept (ManagedIdentity).
      ManagedIdentity__ClientId: inputs.identityClientId
      Postgres__MigrateOnStart: inputs.migrateOnStart ? 'true' : 'false'
      RetryQueue__Schedule: inputs.retryQueueSchedule
      DeadLetters__RetentionSchedule: inputs.deadLetterRetentionSchedule
      // The same schedules under flat names for the timer triggers (%SALESAUTO_RETRY_SCHEDULE%):
      // the platform wakes a scaled-in app for its timers by looking the setting up by name, and
      // no Linux app setting can be called RetryQueue:Schedule (TimerFunctions.cs, docs/deploy.md).
      SALESAUTO_RETRY_SCHEDULE: inputs.retryQueueSchedule
      SALESAUTO_RETENTION_SCHEDULE: inputs.deadLetterRetentionSchedule
      // HubSpot signs the URL it called; behind the front end the worker sees another one.
      Webhooks__PublicBaseUrl: inputs.publicBaseUrl
      Metrics__RequireKey: inputs.metricsRequireKey ? 'true' : 'false'
      // The suppression list's HMAC key (docs/privacy.md); during a rotation add
      // Privacy__HashKeys__1 for the previous key's secret.
      Privacy__HashKeys__0: keyVaultReference(inputs.keyVaultUri, 'privacy-hash-key-0')
    },
    // Webhooks:Sources:{name}:Kind and :Secrets:{i}, the secrets as Key Vault references.
    toObject(inputs.webhookSources, source => 'Webhooks__Sources__${source.name}__Kind', source => source.kind),
    toObject(
      flatten(map(inputs.webhookSources, source => map(range(0, source.secretCount), index => {
        key: 'Webhooks__Sources__${source.name}__Secrets__${index}'
        value: keyVaultReference(inputs.keyVaultUri, webhookSecretName(source.name, index))
      }))),
      setting => setting.key,
      setting => setting.value
    ),
    // Admin:Keys:{name}, Core's only authorization of the admin routes on both hosts.
    toObject(inputs.adminKeyNames, name => 'Admin__Keys__${name}', name => keyVaultReference(inputs.keyVaultUri, adminKeySecretName(name)))
  )
