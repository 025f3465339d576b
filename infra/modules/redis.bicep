// Azure Managed Redis (Microsoft.Cache/redisEnterprise): the retry queue. TLS only (clientProtocol
// Encrypted, TLS 1.2 minimum; there is no plain-text port to enable). NoEviction, because an evicted
// key would be a parked orphan lost silently; AOF persistence, because a restart must not lose them
// either. Clustering policy EnterpriseCluster: one endpoint, like a single Redis, and the queue's
// keys share one hash tag (one slot) anyway, so OSS cluster mode would add nothing.
//
// Authentication: access keys, kept only in Key Vault as the full StackExchange.Redis connection
// string. Entra ID would need Microsoft.Azure.StackExchangeRedis (token refresh) in Core, which is
// not in this project's package set; the key never leaves ARM and Key Vault.
import { tagMap } from 'shared.bicep'

@description('Cluster name.')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags tagMap

@description('Azure Managed Redis SKU, e.g. Balanced_B0 (smallest), Balanced_B1, MemoryOptimized_M10.')
param skuName string

@description('Append-only-file persistence (every second): parked orphans survive a node restart.')
param aofPersistence bool

@description('Key Vault the connection string is written to.')
param keyVaultName string

@description('Name of the Key Vault secret holding the connection string.')
param connectionStringSecretName string

resource cluster 'Microsoft.Cache/redisEnterprise@2025-04-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: 'Enabled'
  }

  resource database 'databases' = {
    // Azure Managed Redis has exactly one database, named default.
    name: 'default'
    properties: {
      clientProtocol: 'Encrypted'
      port: 10000
      clusteringPolicy: 'EnterpriseCluster'
      evictionPolicy: 'NoEviction'
      accessKeysAuthentication: 'Enabled'
      persistence: aofPersistence
        ? {
            aofEnabled: true
            aofFrequency: '1s'
          }
        : {
            aofEnabled: false
            rdbEnabled: false
          }
    }
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource connectionString 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: connectionStringSecretName
  properties: {
    // StackExchange.Redis configuration string: TLS on, retry connecting instead of failing start-up.
    value: '${cluster.properties.hostName}:${cluster::database.properties.port},password=${cluster::database.listKeys().primaryKey},ssl=True,abortConnect=False'
    contentType: 'text/plain'
  }
}

@description('Redis host name.')
output hostName string = cluster.properties.hostName
