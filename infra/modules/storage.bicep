// The function app's storage: the host's own state (host keys, timer singleton locks and
// schedule monitor, all in blobs) through identity-based AzureWebJobsStorage, and the container
// Flex Consumption deploys the app package from. Shared keys are off: every caller uses Entra ID.
import { tagMap } from 'shared.bicep'

@description('Storage account name (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags tagMap

@description('Blob container the Flex Consumption app package is deployed to.')
param deploymentContainerName string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deployments 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }
}

@description('Storage account name (AzureWebJobsStorage__accountName, role assignment scope).')
output name string = storage.name

@description('The deployment container URL (functionAppConfig.deployment.storage.value).')
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
