// Azure Managed Redis (Microsoft.Cache/redisEnterprise): the retry queue. TLS only (clientProtocol
// Encrypted, TLS 1.2 minimum; there is no plain-text port to enable), port 10000. NoEviction,
// because an evicted key would be a parked orphan lost silently; AOF persistence, because a restart
// must not lose them either. Clustering policy EnterpriseCluster: one endpoint, like a single Redis,
// and the queue's keys share one hash tag (one slot) anyway, so OSS cluster mode would add nothing.
//
// Authentication ManagedIdentity: access keys are off; the app's identity has an access policy
// assignment (the built-in "default" policy) and signs in with Entra ID tokens as its object ID
// (Core: Redis:Authentication, RedisTokenAuthenticator). Password: the access key, kept only in Key
// Vault as the full StackExchange.Redis connection string. Private access: a private endpoint in
// the VNet and public network access off.
import { tagMap, authentication } from 'shared.bicep'

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

@description('How the app signs in: ManagedIdentity (Entra ID token, access keys off) or Password (the access key).')
param appAuthentication authentication

@description('Object ID of the app\'s identity: its access policy assignment, and the Redis user its tokens sign in as.')
param appPrincipalId string

@description('Key Vault the connection string is written to (Password).')
param keyVaultName string

@description('Name of the Key Vault secret holding the connection string (Password).')
param connectionStringSecretName string

@description('Reach the cluster on a private endpoint only: public network access off.')
param privateAccess bool

@description('Subnet of the private endpoint (privateAccess).')
param privateEndpointSubnetId string

@description('Private DNS zone privatelink.redis.azure.net; empty without private access.')
param privateDnsZoneId string

var port = 10000

resource cluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: 'Enabled'
    publicNetworkAccess: privateAccess ? 'Disabled' : 'Enabled'
  }

  resource database 'databases' = {
    // Azure Managed Redis has exactly one database, named default.
    name: 'default'
    properties: {
      clientProtocol: 'Encrypted'
      port: port
      clusteringPolicy: 'EnterpriseCluster'
      evictionPolicy: 'NoEviction'
      accessKeysAuthentication: appAuthentication == 'Password' ? 'Enabled' : 'Disabled'
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

    // The built-in "default" policy: every command on every key, what the retry queue's scripts need.
    resource appAccess 'accessPolicyAssignments' = if (appAuthentication == 'ManagedIdentity') {
      name: 'salesautoapp'
      properties: {
        accessPolicyName: 'default'
        user: {
          objectId: appPrincipalId
        }
      }
    }
  }
}

resource privateEndpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = if (privateAccess) {
  name: 'pe-${name}'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: privateEndpointSubnetId
    }
    privateLinkServiceConnections: [
      {
        name: 'redis'
        properties: {
          privateLinkServiceId: cluster.id
          groupIds: [
            'redisEnterprise'
          ]
        }
      }
    ]
  }

  resource dns 'privateDnsZoneGroups' = {
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: 'redis'
          properties: {
            privateDnsZoneId: privateDnsZoneId
          }
        }
      ]
    }
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource connectionString 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (appAuthentication == 'Password') {
  parent: vault
  name: connectionStringSecretName
  properties: {
    // StackExchange.Redis configuration string: TLS on, retry connecting instead of failing start-up.
    value: '${cluster.properties.hostName}:${port},password=${cluster::database.listKeys().primaryKey},ssl=True,abortConnect=False'
    contentType: 'text/plain'
  }
}

@description('Redis host name.')
output hostName string = cluster.properties.hostName

// No secret in it: the password is the identity's token, fetched by the app.
@description('ConnectionStrings:Redis with ManagedIdentity (no password); empty with Password (the string is in Key Vault).')
output managedIdentityConnectionString string = appAuthentication == 'ManagedIdentity'
  ? '${cluster.properties.hostName}:${port},ssl=True,abortConnect=False'
  : ''
