// The Flex Consumption plan (FC1) and the function app: .NET isolated 10.0, the package deployed
// to a blob container read with the user-assigned identity, identity-based AzureWebJobsStorage,
// Entra-authenticated Application Insights, and every SalesAuto secret as a Key Vault reference.
//
// Flex Consumption sets the runtime in functionAppConfig.runtime and refuses the app settings it
// replaces (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE, ...),
// so none of them appears below.
import { tagMap, webhookSourceLayout, webhookSecretName, keyVaultReference } from 'shared.bicep'

@description('Function app name (also the default host name\'s first label).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags tagMap

@description('Resource ID of the user-assigned identity the app runs as.')
param identityId string

@description('Client ID of that identity.')
param identityClientId string

@description('Storage account of AzureWebJobsStorage.')
param storageAccountName string

@description('URL of the blob container the app package is deployed to.')
param deploymentContainerUrl string

@description('APPLICATIONINSIGHTS_CONNECTION_STRING.')
param appInsightsConnectionString string

@description('Key Vault URI, ending in "/".')
param keyVaultUri string

@description('Key Vault secret holding ConnectionStrings:Postgres.')
param postgresSecretName string

@description('Key Vault secret holding ConnectionStrings:Redis.')
param redisSecretName string

@description('Webhook sources: names, kinds and how many secrets each has in Key Vault.')
param webhookSources webhookSourceLayout[]

@description('Whether the Key Vault secret metrics-key exists: GET /api/metrics then requires it (Metrics:RequireKey).')
param metricsKeyEnabled bool

@description('RetryQueue:Schedule, 6-field NCRONTAB; also SALESAUTO_RETRY_SCHEDULE, which the timer trigger reads.')
param retryQueueSchedule string

@description('DeadLetters:RetentionSchedule, 6-field NCRONTAB; also SALESAUTO_RETENTION_SCHEDULE, which the timer trigger reads.')
param deadLetterRetentionSchedule string

@description('Most instances the app may scale out to, all functions together.')
param maximumInstanceCount int

@description('Memory of each instance in MB; CPU is allotted in proportion.')
param instanceMemoryMB int

@description('Concurrent HTTP invocations per instance before the platform adds an instance.')
param httpPerInstanceConcurrency int

@description('Apply the Postgres migrations when an instance starts (Postgres:MigrateOnStart).')
param migrateOnStart bool

// Webhooks:Sources:{name}:Kind and :Secrets:{i}, the secrets as Key Vault references.
var webhookKindSettings = toObject(webhookSources, source => 'Webhooks__Sources__${source.name}__Kind', source => source.kind)
var webhookSecretSettings = toObject(
  flatten(map(webhookSources, source => map(range(0, source.secretCount), index => {
    key: 'Webhooks__Sources__${source.name}__Secrets__${index}'
    value: keyVaultReference(keyVaultUri, webhookSecretName(source.name, index))
  }))),
  setting => setting.key,
  setting => setting.value
)

var metricsSettings = metricsKeyEnabled
  ? {
      Metrics__RequireKey: 'true'
      Admin__Keys__metrics: keyVaultReference(keyVaultUri, 'metrics-key')
    }
  : {
      Metrics__RequireKey: 'false'
    }

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: union(
      {
        // Identity-based host storage: no connection string, the identity's Entra token.
        AzureWebJobsStorage__accountName: storageAccountName
        AzureWebJobsStorage__credential: 'managedidentity'
        AzureWebJobsStorage__clientId: identityClientId
        APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
        // App settings are environment variables: "__" is the ":" of .NET configuration on Linux.
        ConnectionStrings__Postgres: keyVaultReference(keyVaultUri, postgresSecretName)
        ConnectionStrings__Redis: keyVaultReference(keyVaultUri, redisSecretName)
        Postgres__MigrateOnStart: migrateOnStart ? 'true' : 'false'
        RetryQueue__Schedule: retryQueueSchedule
        DeadLetters__RetentionSchedule: deadLetterRetentionSchedule
        // The same schedules under flat names for the timer triggers (%SALESAUTO_RETRY_SCHEDULE%):
        // the platform wakes a scaled-in app for its timers by looking the setting up by name, and
        // no Linux app setting can be called RetryQueue:Schedule (TimerFunctions.cs, docs/deploy.md).
        SALESAUTO_RETRY_SCHEDULE: retryQueueSchedule
        SALESAUTO_RETENTION_SCHEDULE: deadLetterRetentionSchedule
        // HubSpot signs the URL it called; behind the front end the worker sees another one.
        Webhooks__PublicBaseUrl: 'https://${app.properties.defaultHostName}'
        // The suppression list's HMAC key (docs/privacy.md); during a rotation add
        // Privacy__HashKeys__1 for the previous key's secret.
        Privacy__HashKeys__0: keyVaultReference(keyVaultUri, 'privacy-hash-key-0')
      },
      metricsSettings,
      webhookKindSettings,
      webhookSecretSettings
    )
  }
}

@description('Function app name.')
output name string = app.name

@description('Default host name.')
output defaultHostName string = app.properties.defaultHostName
