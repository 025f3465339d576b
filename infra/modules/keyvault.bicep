// Key Vault (RBAC authorization) holding every secret the app reads: the webhook secrets and admin
// keys written here, the Postgres and Redis connection strings (password authentication) written by
// postgres.bicep and redis.bicep. App settings reference them (@Microsoft.KeyVault(...)) and the
// platform resolves them with the app's user-assigned identity, which holds Key Vault Secrets User
// (roles.bicep).
import { tagMap, webhookSourceMap, adminKeyMap, webhookSecretName, adminKeySecretName } from 'shared.bicep'

@description('Key Vault name (3-24 letters, digits and "-").')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags tagMap

@description('Purge protection: a deleted vault and its secrets cannot be purged before the retention period ends. Cannot be turned off once on.')
param enablePurgeProtection bool

@description('Webhook sources and their secrets; each secret becomes one Key Vault secret.')
param webhookSources webhookSourceMap

@description('Admin keys by name; each becomes the secret admin-key-{name}.')
param adminKeys adminKeyMap

@description('Key of the suppression list\'s keyed hashes (Privacy:HashKeys:0), at least 32 characters.')
@secure()
@minLength(32)
param privacyHashKey string

// One entry per secret of every source: source name, index, value.
var webhookSecrets = flatten(map(items(webhookSources), source => map(range(0, length(source.value.secrets)), index => {
  name: webhookSecretName(source.key, index)
  value: source.value.secrets[index]
})))

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // The API refuses false: purge protection is either on or absent.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource webhookSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [
  for secret in webhookSecrets: {
    parent: vault
    name: secret.name
    properties: {
      value: secret.value
      contentType: 'text/plain'
    }
  }
]

resource adminKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [
  for key in items(adminKeys): {
    parent: vault
    name: adminKeySecretName(key.key)
    properties: {
      value: key.value
      contentType: 'text/plain'
    }
  }
]

resource privacyHashKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'privacy-hash-key-0'
  properties: {
    value: privacyHashKey
    contentType: 'text/plain'
  }
}

@description('Key Vault name.')
output name string = vault.name

@description('Vault URI, ending in "/".')
output vaultUri string = vault.properties.vaultUri
