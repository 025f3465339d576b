// The user-assigned managed identity the function app runs as: host storage, the deployment
// package, Key Vault references and Application Insights all authenticate with it, no keys.
import { tagMap } from 'shared.bicep'

@description('Identity name.')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags tagMap

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('Resource ID (functionAppConfig, keyVaultReferenceIdentity).')
output id string = identity.id

@description('Object (principal) ID, for role assignments.')
output principalId string = identity.properties.principalId

@description('Client ID, for AzureWebJobsStorage__clientId and the Application Insights authentication string.')
output clientId string = identity.properties.clientId
