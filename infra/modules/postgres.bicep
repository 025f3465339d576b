// Azure Database for PostgreSQL Flexible Server with the salesauto database. The server enforces
// TLS (require_secure_transport is on by default) and the connection string verifies the
// certificate. The admin password and the connection string are written to Key Vault only.
import { tagMap, firewallRule } from 'shared.bicep'

@description('Server name (3-63 lower-case letters, digits and "-").')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags tagMap

@description('PostgreSQL major version.')
@allowed([
  '15'
  '16'
])
param version string

@description('Compute SKU, e.g. Standard_B2s (Burstable), Standard_D2ds_v5 (GeneralPurpose). max_connections grows with it.')
param skuName string

@description('Compute tier matching skuName.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param skuTier string

@description('Storage size in GiB (grows automatically).')
@minValue(32)
param storageSizeGB int

@description('Administrator login (the app connects as it; it also applies the migrations).')
param administratorLogin string

@description('Administrator password.')
@secure()
param administratorPassword string

@description('Allow connections from any Azure service (rule 0.0.0.0). Needed without VNet integration: Flex Consumption has no fixed outbound addresses.')
param allowAzureServices bool

@description('Extra firewall rules, e.g. an operator\'s address for psql.')
param firewallRules firewallRule[]

@description('Npgsql Maximum Pool Size per app instance: instances x this must stay under the server\'s max_connections.')
@minValue(1)
param maxPoolSize int

@description('Key Vault the admin password and the connection string are written to.')
param keyVaultName string

@description('Name of the Key Vault secret holding the Npgsql connection string.')
param connectionStringSecretName string

var databaseName = 'salesauto'

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorPassword
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
    authConfig: {
      activeDirectoryAuth: 'Disabled'
      passwordAuth: 'Enabled'
    }
  }

  resource database 'databases' = {
    name: databaseName
    properties: {
      charset: 'UTF8'
      collation: 'en_US.utf8'
    }
  }

  // A flexible server runs one management operation at a time: rules wait for the database and
  // for each other instead of failing with "server busy".
  resource azureServices 'firewallRules' = if (allowAzureServices) {
    name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
    properties: {
      startIpAddress: '0.0.0.0'
      endIpAddress: '0.0.0.0'
    }
    dependsOn: [
      database
    ]
  }

  @batchSize(1)
  resource rules 'firewallRules' = [
    for rule in firewallRules: {
      name: rule.name
      properties: {
        startIpAddress: rule.startIpAddress
        endIpAddress: rule.endIpAddress
      }
      dependsOn: [
        database
        azureServices
      ]
    }
  ]
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource passwordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'postgres-admin-password'
  properties: {
    value: administratorPassword
    contentType: 'text/plain'
  }
}

resource connectionString 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: connectionStringSecretName
  properties: {
    // Quoted so any character may appear in the password ('' stands for ' inside the quotes).
    value: 'Host=${server.properties.fullyQualifiedDomainName};Port=5432;Database=${databaseName};Username=${administratorLogin};Password=\'${replace(administratorPassword, '\'', '\'\'')}\';SSL Mode=VerifyFull;Maximum Pool Size=${maxPoolSize}'
    contentType: 'text/plain'
  }
}

@description('Server host name.')
output fullyQualifiedDomainName string = server.properties.fullyQualifiedDomainName

@description('Database name.')
output databaseName string = server::database.name
