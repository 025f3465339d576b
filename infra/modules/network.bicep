// The virtual network of vnetEnabled: the function app's outbound traffic goes through its
// integration subnet, and Postgres and Redis are reached on private endpoints in the other subnet,
// named by private DNS zones linked to the network. With it, Postgres and Redis refuse public
// network access altogether.
import { tagMap } from 'shared.bicep'

@description('Virtual network name.')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags tagMap

var addressSpace = '10.40.0.0/16'
var appSubnetName = 'app'
var privateEndpointSubnetName = 'private-endpoints'

// Private DNS zones of the services' private endpoints (Azure's documented zone names).
var zones = {
  postgres: 'privatelink.postgres.database.azure.com'
  redis: 'privatelink.redis.azure.net'
}

resource network 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressSpace
      ]
    }
    subnets: [
      {
        // Flex Consumption VNet integration: a subnet delegated to Microsoft.App/environments,
        // one address per instance, so /24 for up to about 250 instances.
        name: appSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressSpace, 24, 1)
          // Storage, Key Vault and Application Insights stay on their public endpoints (RBAC,
          // no keys); the app reaches them through the subnet's outbound access, kept explicitly
          // (new networks lose it by default). A NAT gateway is the production alternative.
          defaultOutboundAccess: true
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressSpace, 24, 2)
          defaultOutboundAccess: false
        }
      }
    ]
  }

  resource appSubnet 'subnets' existing = {
    name: appSubnetName
  }

  resource privateEndpointSubnet 'subnets' existing = {
    name: privateEndpointSubnetName
  }
}

resource postgresZone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: zones.postgres
  location: 'global'
  tags: tags

  resource link 'virtualNetworkLinks' = {
    name: name
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: network.id
      }
    }
  }
}

resource redisZone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: zones.redis
  location: 'global'
  tags: tags

  resource link 'virtualNetworkLinks' = {
    name: name
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: network.id
      }
    }
  }
}

@description('The function app\'s integration subnet (virtualNetworkSubnetId).')
output appSubnetId string = network::appSubnet.id

@description('The subnet of the private endpoints.')
output privateEndpointSubnetId string = network::privateEndpointSubnet.id

@description('Private DNS zone of the Postgres private endpoint.')
output postgresZoneId string = postgresZone.id

@description('Private DNS zone of the Redis private endpoint.')
output redisZoneId string = redisZone.id
