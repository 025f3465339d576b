// Role assignments for the app's user-assigned identity: what identity-based AzureWebJobsStorage,
// the Flex deployment container, Key Vault references and Entra-authenticated Application Insights
// need, nothing more. Each is named guid(scope, principal, role), so a redeploy finds it again; the
// principal in the name is the identity's resource ID, known before deployment (its object ID is
// not, and a name must be).

@description('Resource ID of the app\'s user-assigned identity (names the assignments).')
param identityId string

@description('Object ID of that identity (what is granted).')
param principalId string

@description('Storage account of AzureWebJobsStorage and the deployment container.')
param storageAccountName string

@description('Key Vault holding the app\'s secrets.')
param keyVaultName string

@description('Application Insights component.')
param appInsightsName string

@description('Object ID of a user or group allowed to write Key Vault secrets (rotation, docs/deploy.md); empty for none.')
param operatorPrincipalId string

// Built-in role definition IDs (the same in every tenant).
var roles = {
  // Storage Blob Data Owner: the host's blobs (timer singleton leases, the schedule monitor, host
  // keys) and reading the deployment package. The app has no queue or blob trigger and no output
  // binding, so neither Storage Queue Data Contributor nor Storage Table Data Contributor is granted.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // Key Vault Secrets User: read secret values, which is what resolving a Key Vault reference does.
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  // Key Vault Secrets Officer: create and update secrets (the operator, for rotation).
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  // Monitoring Metrics Publisher: send telemetry to Application Insights with an Entra token.
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource storageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identityId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(vault.id, operatorPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: operatorPrincipalId
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identityId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
