// The Flex Consumption plan (FC1) and the function app: .NET isolated 10.0, the package deployed
// to a blob container read with the user-assigned identity, identity-based AzureWebJobsStorage,
// Entra-authenticated Application Insights, every SalesAuto secret as a Key Vault reference
// (shared.bicep appSettings), and optionally VNet integration.
//
// Concurrency: on Flex Consumption the host.json HTTP limits (extensions.http.maxConcurrentRequests,
// maxOutstandingRequests) are not applied; the per-instance concurrency is
// functionAppConfig.scaleAndConcurrency.triggers.http.perInstanceConcurrency, set here.
import { tagMap, webhookSourceLayout, authentication, appSettings } from 'shared.bicep'

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

@description('ConnectionStrings:Postgres as the app setting holds it (a Key Vault reference, or the plain string with no secret).')
param postgresConnectionString string

@description('Postgres:Authentication.')
param postgresAuthentication authentication

@description('ConnectionStrings:Redis as the app setting holds it.')
param redisConnectionString string

@description('Redis:Authentication.')
param redisAuthentication authentication

@description('Webhook sources: names, kinds and how many secrets each has in Key Vault.')
param webhookSources webhookSourceLayout[]

@description('Admin key names; each key is the Key Vault secret admin-key-{name}.')
param adminKeyNames string[]

@description('Metrics:RequireKey: GET /api/metrics needs an admin key.')
param metricsRequireKey bool

@description('RetryQueue:Schedule, 6-field NCRONTAB; also SALESAUTO_RETRY_SCHEDULE, which the timer trigger reads.')
param retryQueueSchedule string

@description('DeadLetters:RetentionSchedule, 6-field NCRONTAB; also SALESAUTO_RETENTION_SCHEDULE, which the timer trigger reads.')
param deadLetterRetentionSchedule string

@description('Most instances the app may scale out to, per function group (all HTTP functions are one group).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance in MB; CPU is allotted in proportion.')
param instanceMemoryMB int

@description('Concurrent HTTP invocations per instance before the platform adds an instance.')
param httpPerInstanceConcurrency int

@description('Apply the Postgres migrations when an instance starts (Postgres:MigrateOnStart).')
param migrateOnStart bool

@description('Subnet of the VNet integration (delegated to Microsoft.App/environments); empty: none.')
param virtualNetworkSubnetId string

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
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
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

  resource settings 'config' = {
    name: 'appsettings'
    properties: appSettings({
      storageAccountName: storageAccountName
      identityClientId: identityClientId
      appInsightsConnectionString: appInsightsConnectionString
      keyVaultUri: keyVaultUri
      publicBaseUrl: 'https://${app.properties.defaultHostName}'
      postgresConnectionString: postgresConnectionString
      postgresAuthentication: postgresAuthentication
      redisConnectionString: redisConnectionString
      redisAuthentication: redisAuthentication
      migrateOnStart: migrateOnStart
      retryQueueSchedule: retryQueueSchedule
      deadLetterRetentionSchedule: deadLetterRetentionSchedule
      metricsRequireKey: metricsRequireKey
      webhookSources: webhookSources
      adminKeyNames: adminKeyNames
    })
  }
}

@description('Function app name.')
output name string = app.name

@description('Default host name.')
output defaultHostName string = app.properties.defaultHostName
