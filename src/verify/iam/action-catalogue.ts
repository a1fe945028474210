/**
 * The IAM actions of the AWS services CI jobs commonly use, as data: for each service prefix, every
 * action name the AWS Service Authorization Reference lists ("Actions, resources, and condition keys
 * for Amazon S3" and its siblings, docs.aws.amazon.com/service-authorization/latest/reference/).
 *
 * Source: the action names of the Service Authorization Reference as the npm package iam-floyd
 * 0.842.0 (published 2026-09-27) carries them in its generated statement providers, one per
 * service prefix (elasticloadbalancing: its elb and elbv2 providers; cloudformation: its
 * cloudformation and Cloud Control API providers, which share the prefix). Names only: facts,
 * no code. Read on 2026-12-07. A service is listed whole or not at all: a service that is not
 * here is not checked (`serviceCovered`), so an action it added after that date is never called
 * unknown by a stale half-list.
 *
 * Why a catalogue: IAM does not reject a policy that names an action that does not exist
 * (`s3:GetObjcet`), nor a wildcard that matches none (`s3:Gte*`); such a statement silently grants
 * nothing, and the job fails later with AccessDenied. Action names are case-insensitive ("The
 * prefix and the action name are case insensitive", IAM User Guide, "IAM JSON policy elements:
 * Action"), so the lookup is too.
 *
 * The text is split into sets only when a policy first names an action of a covered service, so
 * a run whose roles name none pays for nothing but the text.
 */
const ACTIONS: Record<string, string> = {
  autoscaling:
    'AttachInstances AttachLoadBalancerTargetGroups AttachLoadBalancers AttachTrafficSources ' +
    'BatchDeleteScheduledAction BatchPutScheduledUpdateGroupAction CancelInstanceRefresh CompleteLifecycleAction ' +
    'CreateAutoScalingGroup CreateLaunchConfiguration CreateOrUpdateTags DeleteAutoScalingGroup ' +
    'DeleteLaunchConfiguration DeleteLifecycleHook DeleteNotificationConfiguration DeletePolicy ' +
    'DeleteScheduledAction DeleteTags DeleteWarmPool DescribeAccountLimits DescribeAccountSettings ' +
    'DescribeAdjustmentTypes DescribeAutoScalingGroups DescribeAutoScalingInstances ' +
    'DescribeAutoScalingNotificationTypes DescribeInstanceRefreshes DescribeLaunchConfigurations ' +
    'DescribeLifecycleHookTypes DescribeLifecycleHooks DescribeLoadBalancerTargetGroups DescribeLoadBalancers ' +
    'DescribeMetricCollectionTypes DescribeNotificationConfigurations DescribePolicies DescribeScalingActivities ' +
    'DescribeScalingProcessTypes DescribeScheduledActions DescribeTags DescribeTerminationPolicyTypes ' +
    'DescribeTrafficSources DescribeWarmPool DetachInstances DetachLoadBalancerTargetGroups DetachLoadBalancers ' +
    'DetachTrafficSources DisableMetricsCollection EnableMetricsCollection EnterStandby ExecutePolicy ExitStandby ' +
    'GetPredictiveScalingForecast LaunchInstances PutAccountSetting PutLifecycleHook PutNotificationConfiguration ' +
    'PutScalingPolicy PutScheduledUpdateGroupAction PutWarmPool RecordLifecycleActionHeartbeat ResumeProcesses ' +
    'RollbackInstanceRefresh SetDesiredCapacity SetInstanceHealth SetInstanceProtection StartInstanceRefresh ' +
    'SuspendProcesses TerminateInstanceInAutoScalingGroup UpdateAutoScalingGroup',
  cloudformation:
    'ActivateOrganizationsAccess ActivateType BatchDescribeTypeConfigurations CancelResourceRequest ' +
    'CancelUpdateStack ContinueUpdateRollback CreateChangeSet CreateGeneratedTemplate CreateResource CreateStack ' +
    'CreateStackInstances CreateStackRefactor CreateStackSet CreateUploadBucket DeactivateOrganizationsAccess ' +
    'DeactivateType DeleteChangeSet DeleteGeneratedTemplate DeleteResource DeleteStack DeleteStackInstances ' +
    'DeleteStackSet DeregisterType DescribeAccountLimits DescribeChangeSet DescribeChangeSetHooks DescribeEvents ' +
    'DescribeGeneratedTemplate DescribeOrganizationsAccess DescribePublisher DescribeResourceScan ' +
    'DescribeStackDriftDetectionStatus DescribeStackEvents DescribeStackInstance DescribeStackRefactor ' +
    'DescribeStackResource DescribeStackResourceDrifts DescribeStackResources DescribeStackSet ' +
    'DescribeStackSetOperation DescribeStacks DescribeType DescribeTypeRegistration DetectStackDrift ' +
    'DetectStackResourceDrift DetectStackSetDrift EstimateTemplateCost ExecuteChangeSet ExecuteStackRefactor ' +
    'GetGeneratedTemplate GetHookResult GetResource GetResourceRequestStatus GetStackPolicy GetTemplate ' +
    'GetTemplateSummary ImportStacksToStackSet ListAllHookResults ListChangeSets ListExports ' +
    'ListGeneratedTemplates ListHookResults ListImports ListResourceRequests ListResourceScanRelatedResources ' +
    'ListResourceScanResources ListResourceScans ListResources ListStackInstanceResourceDrifts ListStackInstances ' +
    'ListStackRefactorActions ListStackRefactors ListStackResources ListStackSetAutoDeploymentTargets ' +
    'ListStackSetOperationResults ListStackSetOperations ListStackSets ListStacks ListTypeRegistrations ' +
    'ListTypeVersions ListTypes PublishType RecordHandlerProgress RegisterPublisher RegisterType RollbackStack ' +
    'SetStackPolicy SetTypeConfiguration SetTypeDefaultVersion SignalResource StartResourceScan ' +
    'StopStackSetOperation TagResource TestType UntagResource UpdateGeneratedTemplate UpdateResource UpdateStack ' +
    'UpdateStackInstances UpdateStackSet UpdateTerminationProtection ValidateTemplate',
  cloudfront:
    'AllowVendedLogDeliveryForResource AssociateAlias AssociateDistributionTenantWebACL ' +
    'AssociateDistributionWebACL CopyDistribution CreateAnycastIpList CreateCachePolicy ' +
    'CreateCloudFrontOriginAccessIdentity CreateConnectionFunction CreateConnectionGroup ' +
    'CreateContinuousDeploymentPolicy CreateDistribution CreateDistributionTenant ' +
    'CreateFieldLevelEncryptionConfig CreateFieldLevelEncryptionProfile CreateFunction CreateInvalidation ' +
    'CreateInvalidationForDistributionTenant CreateKeyGroup CreateKeyValueStore CreateMonitoringSubscription ' +
    'CreateOriginAccessControl CreateOriginRequestPolicy CreatePublicKey CreateRealtimeLogConfig ' +
    'CreateResponseHeadersPolicy CreateSavingsPlan CreateStreamingDistribution ' +
    'CreateStreamingDistributionWithTags CreateTrustStore CreateVpcOrigin DeleteAnycastIpList DeleteCachePolicy ' +
    'DeleteCloudFrontOriginAccessIdentity DeleteConnectionFunction DeleteConnectionGroup ' +
    'DeleteContinuousDeploymentPolicy DeleteDistribution DeleteDistributionTenant ' +
    'DeleteFieldLevelEncryptionConfig DeleteFieldLevelEncryptionProfile DeleteFunction DeleteKeyGroup ' +
    'DeleteKeyValueStore DeleteMonitoringSubscription DeleteOriginAccessControl DeleteOriginRequestPolicy ' +
    'DeletePublicKey DeleteRealtimeLogConfig DeleteResourcePolicy DeleteResponseHeadersPolicy ' +
    'DeleteStreamingDistribution DeleteTrustStore DeleteVpcOrigin DescribeConnectionFunction DescribeFunction ' +
    'DescribeKeyValueStore DisassociateDistributionTenantWebACL DisassociateDistributionWebACL GetAnycastIpList ' +
    'GetCachePolicy GetCachePolicyConfig GetCloudFrontOriginAccessIdentity ' +
    'GetCloudFrontOriginAccessIdentityConfig GetConnectionFunction GetConnectionGroup ' +
    'GetConnectionGroupByRoutingEndpoint GetContinuousDeploymentPolicy GetContinuousDeploymentPolicyConfig ' +
    'GetDistribution GetDistributionConfig GetDistributionTenant GetDistributionTenantByDomain ' +
    'GetFieldLevelEncryption GetFieldLevelEncryptionConfig GetFieldLevelEncryptionProfile ' +
    'GetFieldLevelEncryptionProfileConfig GetFunction GetInvalidation GetInvalidationForDistributionTenant ' +
    'GetKeyGroup GetKeyGroupConfig GetManagedCertificateDetails GetMonitoringSubscription GetOriginAccessControl ' +
    'GetOriginAccessControlConfig GetOriginRequestPolicy GetOriginRequestPolicyConfig GetPublicKey ' +
    'GetPublicKeyConfig GetRealtimeLogConfig GetResourcePolicy GetResponseHeadersPolicy ' +
    'GetResponseHeadersPolicyConfig GetSavingsPlan GetStreamingDistribution GetStreamingDistributionConfig ' +
    'GetTrustStore GetVpcOrigin ListAnycastIpLists ListCachePolicies ListCloudFrontOriginAccessIdentities ' +
    'ListConflictingAliases ListConnectionFunctions ListConnectionGroups ListContinuousDeploymentPolicies ' +
    'ListDistributionTenants ListDistributionTenantsByCustomization ListDistributions ' +
    'ListDistributionsByAnycastIpListId ListDistributionsByCachePolicyId ListDistributionsByConnectionFunction ' +
    'ListDistributionsByConnectionMode ListDistributionsByKeyGroup ListDistributionsByLambdaFunction ' +
    'ListDistributionsByOriginRequestPolicyId ListDistributionsByRealtimeLogConfig ' +
    'ListDistributionsByResponseHeadersPolicyId ListDistributionsByTrustStore ListDistributionsByVpcOriginId ' +
    'ListDistributionsByWebACLId ListDomainConflicts ListFieldLevelEncryptionConfigs ' +
    'ListFieldLevelEncryptionProfiles ListFunctions ListInvalidations ListInvalidationsForDistributionTenant ' +
    'ListKeyGroups ListKeyValueStores ListOriginAccessControls ListOriginRequestPolicies ListPublicKeys ' +
    'ListRateCards ListRealtimeLogConfigs ListResponseHeadersPolicies ListSavingsPlans ListStreamingDistributions ' +
    'ListTagsForResource ListTrustStores ListUsages ListVpcOrigins PublishConnectionFunction PublishFunction ' +
    'PutResourcePolicy TagResource TestConnectionFunction TestFunction UntagResource UpdateAnycastIpList ' +
    'UpdateCachePolicy UpdateCloudFrontOriginAccessIdentity UpdateConnectionFunction UpdateConnectionGroup ' +
    'UpdateContinuousDeploymentPolicy UpdateDistribution UpdateDistributionTenant ' +
    'UpdateDistributionWithStagingConfig UpdateDomainAssociation UpdateFieldLevelEncryptionConfig ' +
    'UpdateFieldLevelEncryptionProfile UpdateFunction UpdateKeyGroup UpdateKeyValueStore ' +
    'UpdateOriginAccessControl UpdateOriginRequestPolicy UpdatePublicKey UpdateRealtimeLogConfig ' +
    'UpdateResponseHeadersPolicy UpdateSavingsPlan UpdateStreamingDistribution UpdateTrustStore UpdateVpcOrigin ' +
    'VerifyDnsConfiguration',
  cloudwatch:
    'AssumeAccessProfile BatchGetServiceLevelIndicatorReport BatchGetServiceLevelObjectiveBudgetReport ' +
    'CallWithBearerToken CreateAccessGrant CreateAccessProfile CreateAlert CreateDomain ' +
    'CreateDomainAccessGrantForOrganization CreateDomainForOrganization CreateIngestionEndpoint CreateIntegration ' +
    'CreateOmniDashboard CreateOmniThread CreateOneTimeDeepLinkCode CreateServiceLevelObjective CreateSpace ' +
    'CreateView DeleteAccessGrant DeleteAccessProfile DeleteAlarmMuteRule DeleteAlarms DeleteAlert ' +
    'DeleteAnomalyDetector DeleteDashboards DeleteDomain DeleteDomainAccessGrantForOrganization ' +
    'DeleteDomainForOrganization DeleteIngestionEndpoint DeleteInsightRules DeleteIntegration DeleteMetricStream ' +
    'DeleteOmniDashboard DeleteOmniThread DeletePipelineRule DeleteServiceLevelObjective DeleteSpace DeleteView ' +
    'DescribeAlarmHistory DescribeAlarms DescribeAlarmsForMetric DescribeAnomalyDetectors DescribeInsightRules ' +
    'DisableAlarmActions DisableInsightRules EnableAlarmActions EnableInsightRules EnableTopologyDiscovery ' +
    'GenerateQuery GenerateQueryResultsSummary GetAccessGrant GetAccessProfile GetAgentGraph GetAlarmMuteRule ' +
    'GetAlert GetContextGraph GetDashboard GetDataset GetDomain GetDomainAccessGrantForOrganization ' +
    'GetDomainForOrganization GetIngestionEndpoint GetInsightRuleReport GetIntegration ' +
    'GetIntelligenceConfiguration GetMetricData GetMetricStatistics GetMetricStream GetMetricWidgetImage ' +
    'GetOTelEnrichment GetOmniDashboard GetOmniThread GetPreferences GetRecords GetService GetServiceData ' +
    'GetServiceLevelObjective GetSpace GetSpaceCredentials GetSpaceCredentialsForOrganization ' +
    'GetTelemetryQueryResults GetTopologyDiscoveryStatus GetTopologyMap GetView InvokeIntegration Link ' +
    'ListAccessGrants ListAccessProfiles ListAlarmMuteRules ListAlertContributors ListAlerts ListDashboards ' +
    'ListDomainAccessGrantsForOrganization ListDomains ListEntitiesForMetric ListIngestionEndpoints ' +
    'ListIntegrations ListManagedInsightRules ListMetricStreams ListMetrics ListOmniDashboards ListOmniThreads ' +
    'ListServiceLevelObjectives ListServices ListSpaceAccess ListSpaces ListSpacesForOrganization ' +
    'ListTagsForResource ListTelemetryFields ListTelemetryQuerySessions ListViews PutAlarmMuteRule ' +
    'PutAnomalyDetector PutCompositeAlarm PutDashboard PutInsightRule PutIntelligenceConfiguration PutLogAlarm ' +
    'PutManagedInsightRules PutMetricAlarm PutMetricData PutMetricStream PutPipelineRule QueryTraces ' +
    'SearchPrincipals SetAlarmState StartMetricStreams StartOTelEnrichment StartOmniThreadSession ' +
    'StartTelemetryQuery StartTelemetryQuerySession StopMetricStreams StopOTelEnrichment StopTelemetryQuery ' +
    'StopTelemetryQuerySession SubmitFeedback TagResource UntagResource UpdateAccessProfile UpdateAlert ' +
    'UpdateDomain UpdateDomainForOrganization UpdateIngestionEndpoint UpdateIntegration UpdateOmniDashboard ' +
    'UpdateOmniThread UpdatePreferences UpdateServiceLevelObjective UpdateSpace UpdateView',
  dynamodb:
    'AssociateTableReplica BatchGetItem BatchWriteItem ConditionCheckItem CreateBackup CreateGlobalTable ' +
    'CreateGlobalTableWitness CreateTable CreateTableReplica DeleteBackup DeleteGlobalTableWitness DeleteItem ' +
    'DeleteResourcePolicy DeleteTable DeleteTableReplica DescribeBackup DescribeContinuousBackups ' +
    'DescribeContributorInsights DescribeEndpoints DescribeExport DescribeGlobalTable DescribeGlobalTableSettings ' +
    'DescribeImport DescribeKinesisStreamingDestination DescribeLimits DescribeReservedCapacity ' +
    'DescribeReservedCapacityOfferings DescribeStream DescribeTable DescribeTableReplicaAutoScaling ' +
    'DescribeTimeToLive DisableKinesisStreamingDestination EnableKinesisStreamingDestination ' +
    'ExportTableToPointInTime GetAbacStatus GetItem GetRecords GetResourcePolicy GetShardIterator ImportTable ' +
    'InjectError ListBackups ListContributorInsights ListExports ListGlobalTables ListImports ListStreams ' +
    'ListTables ListTagsOfResource PartiQLDelete PartiQLInsert PartiQLSelect PartiQLUpdate ' +
    'PurchaseReservedCapacityOfferings PutItem PutResourcePolicy Query ReadDataForReplication ReplicateSettings ' +
    'RestoreTableFromAwsBackup RestoreTableFromBackup RestoreTableToPointInTime Scan SearchVectors ' +
    'StartAwsBackupJob TagResource UntagResource UpdateAbacStatus UpdateContinuousBackups ' +
    'UpdateContributorInsights UpdateGlobalTable UpdateGlobalTableSettings UpdateGlobalTableVersion UpdateItem ' +
    'UpdateKinesisStreamingDestination UpdateTable UpdateTableReplicaAutoScaling UpdateTimeToLive ' +
    'WriteDataForReplication',
  ec2:
    'AcceptAddressTransfer AcceptCapacityReservationBillingOwnership AcceptReservedInstancesExchangeQuote ' +
    'AcceptTransitGatewayClientVpnAttachment AcceptTransitGatewayMulticastDomainAssociations ' +
    'AcceptTransitGatewayPeeringAttachment AcceptTransitGatewayVpcAttachment AcceptVpcEndpointConnections ' +
    'AcceptVpcPeeringConnection AdvertiseByoipCidr AllocateAddress AllocateHosts AllocateIpamPoolCidr ' +
    'ApplySecurityGroupsToClientVpnTargetNetwork AssignIpv6Addresses AssignPrivateIpAddresses ' +
    'AssignPrivateNatGatewayAddress AssociateAddress AssociateApplicationStatusCheck ' +
    'AssociateCapacityReservationBillingOwner AssociateClientVpnTargetNetwork AssociateDhcpOptions ' +
    'AssociateEnclaveCertificateIamRole AssociateIamInstanceProfile AssociateInstanceEventWindow ' +
    'AssociateIpamByoasn AssociateIpamResourceDiscovery AssociateNatGatewayAddress AssociateRouteServer ' +
    'AssociateRouteTable AssociateSecurityGroupVpc AssociateSubnetCidrBlock ' +
    'AssociateTransitGatewayMulticastDomain AssociateTransitGatewayPolicyTable AssociateTransitGatewayRouteTable ' +
    'AssociateTrunkInterface AssociateVerifiedAccessInstanceWebAcl AssociateVpcCidrBlock ' +
    'AttachApplianceToNatGateway AttachClassicLinkVpc AttachImageWatermark AttachInternetGateway ' +
    'AttachNetworkInterface AttachResourcesToPlacementGroup AttachVerifiedAccessTrustProvider AttachVolume ' +
    'AttachVpnGateway AuthorizeClientVpnIngress AuthorizeSecurityGroupEgress AuthorizeSecurityGroupIngress ' +
    'BatchModifyIpamRoutingPolicyRegistrations BundleInstance CancelBundleTask CancelCapacityReservation ' +
    'CancelCapacityReservationFleets CancelConversionTask CancelDeclarativePoliciesReport CancelExportTask ' +
    'CancelImageLaunchPermission CancelImportTask CancelReservedInstancesListing CancelSpotFleetRequests ' +
    'CancelSpotInstanceRequests ConfirmProductInstance CopyFpgaImage CopyImage CopySnapshot CopyVolumes ' +
    'CreateApplicationStatusCheck CreateCapacityManagerDataExport CreateCapacityReservation ' +
    'CreateCapacityReservationBySplitting CreateCapacityReservationCancellationQuote ' +
    'CreateCapacityReservationFleet CreateCarrierGateway CreateClientVpnEndpoint CreateClientVpnRoute ' +
    'CreateCoipCidr CreateCoipPool CreateCoipPoolPermission CreateCustomerGateway CreateDefaultSubnet ' +
    'CreateDefaultVpc CreateDelegateMacVolumeOwnershipTask CreateDhcpOptions CreateEgressOnlyInternetGateway ' +
    'CreateFleet CreateFlowLogs CreateFpgaImage CreateImage CreateImageUsageReport CreateInstanceConnectEndpoint ' +
    'CreateInstanceEventWindow CreateInstanceExportTask CreateInternetGateway ' +
    'CreateInterruptibleCapacityReservationAllocation CreateIpam CreateIpamExternalResourceVerificationToken ' +
    'CreateIpamInternetRegistryAssociation CreateIpamPolicy CreateIpamPool CreateIpamPrefixListResolver ' +
    'CreateIpamPrefixListResolverTarget CreateIpamResourceDiscovery CreateIpamRoutingPolicyRegistration ' +
    'CreateIpamScope CreateKeyPair CreateLaunchTemplate CreateLaunchTemplateVersion CreateLocalGatewayRoute ' +
    'CreateLocalGatewayRouteTable CreateLocalGatewayRouteTablePermission ' +
    'CreateLocalGatewayRouteTableVirtualInterfaceGroupAssociation CreateLocalGatewayRouteTableVpcAssociation ' +
    'CreateLocalGatewayVirtualInterface CreateLocalGatewayVirtualInterfaceGroup ' +
    'CreateMacSystemIntegrityProtectionModificationTask CreateManagedPrefixList CreateNatGateway CreateNetworkAcl ' +
    'CreateNetworkAclEntry CreateNetworkInsightsAccessScope CreateNetworkInsightsPath CreateNetworkInterface ' +
    'CreateNetworkInterfacePermission CreateOdbNetworkPeering CreatePlacementGroup CreatePublicIpv4Pool ' +
    'CreateReplaceRootVolumeTask CreateReservedInstancesListing CreateRestoreImageTask CreateRoute ' +
    'CreateRouteServer CreateRouteServerEndpoint CreateRouteServerPeer CreateRouteTable CreateSecondaryNetwork ' +
    'CreateSecondarySubnet CreateSecurityGroup CreateSnapshot CreateSnapshots CreateSpotDatafeedSubscription ' +
    'CreateStoreImageTask CreateSubnet CreateSubnetCidrReservation CreateTags CreateTrafficMirrorFilter ' +
    'CreateTrafficMirrorFilterRule CreateTrafficMirrorSession CreateTrafficMirrorTarget CreateTransitGateway ' +
    'CreateTransitGatewayConnect CreateTransitGatewayConnectPeer CreateTransitGatewayMeteringPolicy ' +
    'CreateTransitGatewayMeteringPolicyEntry CreateTransitGatewayMulticastDomain ' +
    'CreateTransitGatewayPeeringAttachment CreateTransitGatewayPolicyTable CreateTransitGatewayPolicyTableEntry ' +
    'CreateTransitGatewayPrefixListReference CreateTransitGatewayRoute CreateTransitGatewayRouteTable ' +
    'CreateTransitGatewayRouteTableAnnouncement CreateTransitGatewayVpcAttachment CreateVerifiedAccessEndpoint ' +
    'CreateVerifiedAccessGroup CreateVerifiedAccessInstance CreateVerifiedAccessTrustProvider CreateVolume ' +
    'CreateVpc CreateVpcBlockPublicAccessExclusion CreateVpcEncryptionControl CreateVpcEndpoint ' +
    'CreateVpcEndpointConnectionNotification CreateVpcEndpointServiceConfiguration CreateVpcPeeringConnection ' +
    'CreateVpnConcentrator CreateVpnConnection CreateVpnConnectionRoute CreateVpnGateway ' +
    'DeleteApplicationStatusCheck DeleteCapacityManagerDataExport DeleteCarrierGateway DeleteClientVpnEndpoint ' +
    'DeleteClientVpnRoute DeleteCoipCidr DeleteCoipPool DeleteCoipPoolPermission DeleteCustomerGateway ' +
    'DeleteDhcpOptions DeleteEgressOnlyInternetGateway DeleteFleets DeleteFlowLogs DeleteFpgaImage ' +
    'DeleteImageUsageReport DeleteInstanceConnectEndpoint DeleteInstanceEventWindow DeleteInternetGateway ' +
    'DeleteIpam DeleteIpamExternalResourceVerificationToken DeleteIpamInternetRegistryAssociation ' +
    'DeleteIpamPolicy DeleteIpamPool DeleteIpamPrefixListResolver DeleteIpamPrefixListResolverTarget ' +
    'DeleteIpamResourceDiscovery DeleteIpamRoutingPolicyRegistration DeleteIpamScope DeleteKeyPair ' +
    'DeleteLaunchTemplate DeleteLaunchTemplateVersions DeleteLocalGatewayRoute DeleteLocalGatewayRouteTable ' +
    'DeleteLocalGatewayRouteTablePermission DeleteLocalGatewayRouteTableVirtualInterfaceGroupAssociation ' +
    'DeleteLocalGatewayRouteTableVpcAssociation DeleteLocalGatewayVirtualInterface ' +
    'DeleteLocalGatewayVirtualInterfaceGroup DeleteManagedPrefixList DeleteNatGateway DeleteNetworkAcl ' +
    'DeleteNetworkAclEntry DeleteNetworkInsightsAccessScope DeleteNetworkInsightsAccessScopeAnalysis ' +
    'DeleteNetworkInsightsAnalysis DeleteNetworkInsightsPath DeleteNetworkInterface ' +
    'DeleteNetworkInterfacePermission DeleteOdbNetworkPeering DeletePlacementGroup DeletePublicIpv4Pool ' +
    'DeleteQueuedReservedInstances DeleteResourcePolicy DeleteRoute DeleteRouteServer DeleteRouteServerEndpoint ' +
    'DeleteRouteServerPeer DeleteRouteTable DeleteSecondaryNetwork DeleteSecondarySubnet DeleteSecurityGroup ' +
    'DeleteSnapshot DeleteSpotDatafeedSubscription DeleteSubnet DeleteSubnetCidrReservation DeleteTags ' +
    'DeleteTrafficMirrorFilter DeleteTrafficMirrorFilterRule DeleteTrafficMirrorSession DeleteTrafficMirrorTarget ' +
    'DeleteTransitGateway DeleteTransitGatewayClientVpnAttachment DeleteTransitGatewayConnect ' +
    'DeleteTransitGatewayConnectPeer DeleteTransitGatewayMeteringPolicy DeleteTransitGatewayMeteringPolicyEntry ' +
    'DeleteTransitGatewayMulticastDomain DeleteTransitGatewayPeeringAttachment DeleteTransitGatewayPolicyTable ' +
    'DeleteTransitGatewayPolicyTableEntry DeleteTransitGatewayPrefixListReference DeleteTransitGatewayRoute ' +
    'DeleteTransitGatewayRouteTable DeleteTransitGatewayRouteTableAnnouncement DeleteTransitGatewayVpcAttachment ' +
    'DeleteVerifiedAccessEndpoint DeleteVerifiedAccessGroup DeleteVerifiedAccessInstance ' +
    'DeleteVerifiedAccessTrustProvider DeleteVolume DeleteVpc DeleteVpcBlockPublicAccessExclusion ' +
    'DeleteVpcEncryptionControl DeleteVpcEndpointConnectionNotifications DeleteVpcEndpointServiceConfigurations ' +
    'DeleteVpcEndpoints DeleteVpcPeeringConnection DeleteVpnConcentrator DeleteVpnConnection ' +
    'DeleteVpnConnectionRoute DeleteVpnGateway DeprovisionByoipCidr DeprovisionIpamByoasn DeprovisionIpamPoolCidr ' +
    'DeprovisionPublicIpv4PoolCidr DeregisterImage DeregisterInstanceEventNotificationAttributes ' +
    'DeregisterTransitGatewayMulticastGroupMembers DeregisterTransitGatewayMulticastGroupSources ' +
    'DescribeAccountAttributes DescribeAccountVpcEncryptionControl DescribeAddressTransfers DescribeAddresses ' +
    'DescribeAddressesAttribute DescribeAggregateIdFormat DescribeApplicationStatus ' +
    'DescribeApplicationStatusCheckAssociations DescribeApplicationStatusChecks DescribeAvailabilityZones ' +
    'DescribeAwsNetworkPerformanceMetricSubscriptions DescribeBundleTasks DescribeByoipCidrs ' +
    'DescribeCapacityBlockExtensionHistory DescribeCapacityBlockExtensionOfferings DescribeCapacityBlockOfferings ' +
    'DescribeCapacityBlockStatus DescribeCapacityBlocks DescribeCapacityManagerDataExports ' +
    'DescribeCapacityReservationBillingRequests DescribeCapacityReservationCancellationQuotes ' +
    'DescribeCapacityReservationFleets DescribeCapacityReservationTopology DescribeCapacityReservations ' +
    'DescribeCarrierGateways DescribeClassicLinkInstances DescribeClientVpnAuthorizationRules ' +
    'DescribeClientVpnConnections DescribeClientVpnEndpoints DescribeClientVpnRoutes ' +
    'DescribeClientVpnTargetNetworks DescribeCoipPools DescribeConversionTasks DescribeCustomerGateways ' +
    'DescribeDeclarativePoliciesReports DescribeDhcpOptions DescribeEgressOnlyInternetGateways ' +
    'DescribeElasticGpus DescribeExportImageTasks DescribeExportTasks DescribeFastLaunchImages ' +
    'DescribeFastSnapshotRestores DescribeFleetHistory DescribeFleetInstances DescribeFleets DescribeFlowLogs ' +
    'DescribeFpgaImageAttribute DescribeFpgaImages DescribeHostReservationOfferings DescribeHostReservations ' +
    'DescribeHosts DescribeIamInstanceProfileAssociations DescribeIdFormat DescribeIdentityIdFormat ' +
    'DescribeImageAttribute DescribeImageReferences DescribeImageUsageReportEntries DescribeImageUsageReports ' +
    'DescribeImages DescribeImportImageTasks DescribeImportSnapshotTasks DescribeInstanceAttribute ' +
    'DescribeInstanceConnectEndpoints DescribeInstanceCreditSpecifications ' +
    'DescribeInstanceEventNotificationAttributes DescribeInstanceEventWindows DescribeInstanceImageMetadata ' +
    'DescribeInstanceSqlHaHistoryStates DescribeInstanceSqlHaStates DescribeInstanceStatus ' +
    'DescribeInstanceTopology DescribeInstanceTypeOfferings DescribeInstanceTypes DescribeInstances ' +
    'DescribeInternetGateways DescribeIpamByoasn DescribeIpamExternalResourceVerificationTokens ' +
    'DescribeIpamInternetRegistryAssociations DescribeIpamPolicies DescribeIpamPoolAllocations DescribeIpamPools ' +
    'DescribeIpamPrefixListResolverTargets DescribeIpamPrefixListResolvers DescribeIpamResourceDiscoveries ' +
    'DescribeIpamResourceDiscoveryAssociations DescribeIpamScopes DescribeIpams DescribeIpv6Pools ' +
    'DescribeKeyPairs DescribeLaunchTemplateVersions DescribeLaunchTemplates ' +
    'DescribeLocalGatewayRouteTablePermissions DescribeLocalGatewayRouteTableVirtualInterfaceGroupAssociations ' +
    'DescribeLocalGatewayRouteTableVpcAssociations DescribeLocalGatewayRouteTables ' +
    'DescribeLocalGatewayVirtualInterfaceGroups DescribeLocalGatewayVirtualInterfaces DescribeLocalGateways ' +
    'DescribeLockedSnapshots DescribeMacHosts DescribeMacModificationTasks DescribeManagedPrefixLists ' +
    'DescribeMovingAddresses DescribeNatGateways DescribeNetworkAcls DescribeNetworkInsightsAccessScopeAnalyses ' +
    'DescribeNetworkInsightsAccessScopes DescribeNetworkInsightsAnalyses DescribeNetworkInsightsPaths ' +
    'DescribeNetworkInterfaceAttribute DescribeNetworkInterfacePermissions DescribeNetworkInterfaces ' +
    'DescribeOutpostLags DescribePlacementGroups DescribePrefixLists DescribePrincipalIdFormat ' +
    'DescribePublicIpv4Pools DescribeRegions DescribeReplaceRootVolumeTasks DescribeReservedInstances ' +
    'DescribeReservedInstancesListings DescribeReservedInstancesModifications DescribeReservedInstancesOfferings ' +
    'DescribeRouteServerEndpoints DescribeRouteServerPeers DescribeRouteServers DescribeRouteTables ' +
    'DescribeScheduledInstanceAvailability DescribeScheduledInstances DescribeSecondaryInterfaces ' +
    'DescribeSecondaryNetworks DescribeSecondarySubnets DescribeSecurityGroupReferences ' +
    'DescribeSecurityGroupRules DescribeSecurityGroupVpcAssociations DescribeSecurityGroups ' +
    'DescribeServiceLinkVirtualInterfaces DescribeSnapshotAttribute DescribeSnapshotTierStatus DescribeSnapshots ' +
    'DescribeSpotDatafeedSubscription DescribeSpotFleetInstances DescribeSpotFleetRequestHistory ' +
    'DescribeSpotFleetRequests DescribeSpotInstanceRequests DescribeSpotPriceHistory DescribeStaleSecurityGroups ' +
    'DescribeStoreImageTasks DescribeSubnets DescribeTags DescribeTrafficMirrorFilterRules ' +
    'DescribeTrafficMirrorFilters DescribeTrafficMirrorSessions DescribeTrafficMirrorTargets ' +
    'DescribeTransitGatewayAttachments DescribeTransitGatewayConnectPeers DescribeTransitGatewayConnects ' +
    'DescribeTransitGatewayMeteringPolicies DescribeTransitGatewayMulticastDomains ' +
    'DescribeTransitGatewayPeeringAttachments DescribeTransitGatewayPolicyTables ' +
    'DescribeTransitGatewayRouteTableAnnouncements DescribeTransitGatewayRouteTables ' +
    'DescribeTransitGatewayVpcAttachments DescribeTransitGateways DescribeTrunkInterfaceAssociations ' +
    'DescribeVerifiedAccessEndpoints DescribeVerifiedAccessGroups ' +
    'DescribeVerifiedAccessInstanceLoggingConfigurations DescribeVerifiedAccessInstanceWebAclAssociations ' +
    'DescribeVerifiedAccessInstances DescribeVerifiedAccessTrustProviders DescribeVolumeAttribute ' +
    'DescribeVolumeStatus DescribeVolumes DescribeVolumesModifications DescribeVpcAttribute ' +
    'DescribeVpcBlockPublicAccessExclusions DescribeVpcBlockPublicAccessOptions DescribeVpcClassicLink ' +
    'DescribeVpcClassicLinkDnsSupport DescribeVpcEncryptionControls DescribeVpcEndpointAssociations ' +
    'DescribeVpcEndpointConnectionNotifications DescribeVpcEndpointConnections ' +
    'DescribeVpcEndpointServiceConfigurations DescribeVpcEndpointServicePermissions DescribeVpcEndpointServices ' +
    'DescribeVpcEndpoints DescribeVpcPeeringConnections DescribeVpcs DescribeVpnConcentrators ' +
    'DescribeVpnConnections DescribeVpnGateways DetachApplianceFromNatGateway DetachClassicLinkVpc ' +
    'DetachImageWatermark DetachInternetGateway DetachNetworkInterface DetachResourcesFromPlacementGroup ' +
    'DetachVerifiedAccessTrustProvider DetachVolume DetachVpnGateway DisableAddressTransfer ' +
    'DisableAllowedImagesSettings DisableApplicationStatusCheckSuppression ' +
    'DisableAwsNetworkPerformanceMetricSubscription DisableCapacityManager DisableEbsEncryptionByDefault ' +
    'DisableFastLaunch DisableFastSnapshotRestores DisableImage DisableImageBlockPublicAccess ' +
    'DisableImageDeprecation DisableImageDeregistrationProtection DisableInstanceSqlHaStandbyDetections ' +
    'DisableIpamOrganizationAdminAccount DisableIpamPolicy DisableRouteServerPropagation ' +
    'DisableSerialConsoleAccess DisableSnapshotBlockPublicAccess DisableTransitGatewayRouteTablePropagation ' +
    'DisableVgwRoutePropagation DisableVpcClassicLink DisableVpcClassicLinkDnsSupport DisassociateAddress ' +
    'DisassociateApplicationStatusCheck DisassociateCapacityReservationBillingOwner ' +
    'DisassociateClientVpnTargetNetwork DisassociateEnclaveCertificateIamRole DisassociateIamInstanceProfile ' +
    'DisassociateInstanceEventWindow DisassociateIpamByoasn DisassociateIpamResourceDiscovery ' +
    'DisassociateNatGatewayAddress DisassociateRouteServer DisassociateRouteTable DisassociateSecurityGroupVpc ' +
    'DisassociateSubnetCidrBlock DisassociateTransitGatewayMulticastDomain DisassociateTransitGatewayPolicyTable ' +
    'DisassociateTransitGatewayRouteTable DisassociateTrunkInterface DisassociateVerifiedAccessInstanceWebAcl ' +
    'DisassociateVpcCidrBlock EnableAddressTransfer EnableAllowedImagesSettings ' +
    'EnableApplicationStatusCheckSuppression EnableAwsNetworkPerformanceMetricSubscription EnableCapacityManager ' +
    'EnableEbsEncryptionByDefault EnableFastLaunch EnableFastSnapshotRestores EnableImage ' +
    'EnableImageBlockPublicAccess EnableImageDeprecation EnableImageDeregistrationProtection ' +
    'EnableInstanceSqlHaStandbyDetections EnableIpamInternetRegistryAssociation ' +
    'EnableIpamOrganizationAdminAccount EnableIpamPolicy EnableReachabilityAnalyzerOrganizationSharing ' +
    'EnableRouteServerPropagation EnableSerialConsoleAccess EnableSnapshotBlockPublicAccess ' +
    'EnableTransitGatewayRouteTablePropagation EnableVgwRoutePropagation EnableVolumeIO EnableVpcClassicLink ' +
    'EnableVpcClassicLinkDnsSupport ExportClientVpnClientCertificateRevocationList ' +
    'ExportClientVpnClientConfiguration ExportImage ExportTransitGatewayRoutes ' +
    'ExportVerifiedAccessInstanceClientConfiguration GetActiveVpnTunnelStatus GetAllowedImagesSettings ' +
    'GetAssociatedEnclaveCertificateIamRoles GetAssociatedIpv6PoolCidrs GetAwsNetworkPerformanceData ' +
    'GetCapacityManagerAttributes GetCapacityManagerMetricData GetCapacityManagerMetricDimensions ' +
    'GetCapacityManagerMonitoredTagKeys GetCapacityReservationUsage GetCoipPoolUsage GetConsoleOutput ' +
    'GetConsoleScreenshot GetDeclarativePoliciesReportSummary GetDefaultCreditSpecification GetEbsDefaultKmsKeyId ' +
    'GetEbsEncryptionByDefault GetEnabledIpamPolicy GetFlowLogsIntegrationTemplate ' +
    'GetGroupsForCapacityReservation GetHostReservationPurchasePreview GetImageAncestry ' +
    'GetImageBlockPublicAccessState GetInstanceMetadataDefaults GetInstanceTpmEkPub ' +
    'GetInstanceTypesFromInstanceRequirements GetInstanceUefiData GetIpamAddressHistory GetIpamDiscoveredAccounts ' +
    'GetIpamDiscoveredPublicAddresses GetIpamDiscoveredResourceCidrs GetIpamDiscoveredRoutes ' +
    'GetIpamInternetRegistryAssociationAsns GetIpamInternetRegistryAssociationCidrs GetIpamPolicyAllocationRules ' +
    'GetIpamPolicyOrganizationTargets GetIpamPoolAllocations GetIpamPoolCidrs GetIpamPrefixListResolverRules ' +
    'GetIpamPrefixListResolverVersionEntries GetIpamPrefixListResolverVersions GetIpamResourceCidrs ' +
    'GetIpamRouteOriginAuthorizations GetIpamRouteProtectionFindings GetIpamRoutingPolicyRegistrationDeltas ' +
    'GetIpamRoutingPolicyRegistrations GetLaunchTemplateData GetManagedPrefixListAssociations ' +
    'GetManagedPrefixListEntries GetManagedResourceVisibility GetNetworkInsightsAccessScopeAnalysisFindings ' +
    'GetNetworkInsightsAccessScopeContent GetPasswordData GetReservedInstancesExchangeQuote GetResourcePolicy ' +
    'GetRouteServerAssociations GetRouteServerPropagations GetRouteServerRoutingDatabase GetSecurityGroupsForVpc ' +
    'GetSerialConsoleAccessStatus GetSnapshotBlockPublicAccessState GetSpotPlacementScores ' +
    'GetSubnetCidrReservations GetTransitGatewayAttachmentPropagations GetTransitGatewayMeteringPolicyEntries ' +
    'GetTransitGatewayMulticastDomainAssociations GetTransitGatewayPolicyTableAssociations ' +
    'GetTransitGatewayPolicyTableEntries GetTransitGatewayPrefixListReferences ' +
    'GetTransitGatewayRouteTableAssociations GetTransitGatewayRouteTablePropagations ' +
    'GetVerifiedAccessEndpointPolicy GetVerifiedAccessEndpointTargets GetVerifiedAccessGroupPolicy ' +
    'GetVerifiedAccessInstanceWebAcl GetVpcResourcesBlockingEncryptionEnforcement ' +
    'GetVpnConnectionDeviceSampleConfiguration GetVpnConnectionDeviceTypes GetVpnTunnelReplacementStatus ' +
    'ImportByoipCidrToIpam ImportClientVpnClientCertificateRevocationList ImportImage ImportInstance ' +
    'ImportKeyPair ImportSnapshot ImportVolume InjectApiError InjectVolumeIOLatency ListImagesInRecycleBin ' +
    'ListSnapshotsInRecycleBin ListVolumesInRecycleBin LockSnapshot ModifyAccountVpcEncryptionControl ' +
    'ModifyAddressAttribute ModifyApplicationStatusCheck ModifyAvailabilityZoneGroup ModifyCapacityReservation ' +
    'ModifyCapacityReservationFleet ModifyClientVpnEndpoint ModifyDefaultCreditSpecification ' +
    'ModifyEbsDefaultKmsKeyId ModifyFleet ModifyFpgaImageAttribute ModifyHosts ModifyIdFormat ' +
    'ModifyIdentityIdFormat ModifyImageAttribute ModifyInstanceAttribute ' +
    'ModifyInstanceCapacityReservationAttributes ModifyInstanceConnectEndpoint ModifyInstanceCpuOptions ' +
    'ModifyInstanceCreditSpecification ModifyInstanceEventStartTime ModifyInstanceEventWindow ' +
    'ModifyInstanceMaintenanceOptions ModifyInstanceMetadataDefaults ModifyInstanceMetadataOptions ' +
    'ModifyInstanceNetworkPerformanceOptions ModifyInstancePlacement ModifyIpam ModifyIpamPolicyAllocationRules ' +
    'ModifyIpamPool ModifyIpamPoolAllocation ModifyIpamPrefixListResolver ModifyIpamPrefixListResolverTarget ' +
    'ModifyIpamResourceCidr ModifyIpamResourceDiscovery ModifyIpamRoutingPolicyRegistration ModifyIpamScope ' +
    'ModifyLaunchTemplate ModifyLocalGatewayRoute ModifyManagedPrefixList ModifyManagedResourceVisibility ' +
    'ModifyNetworkInterfaceAttribute ModifyOdbNetworkPeering ModifyPrivateDnsNameOptions ' +
    'ModifyPublicIpDnsNameOptions ModifyReservedInstances ModifyRouteServer ModifySecurityGroupRules ' +
    'ModifySnapshotAttribute ModifySnapshotTier ModifySpotFleetRequest ModifySubnetAttribute ' +
    'ModifyTrafficMirrorFilterNetworkServices ModifyTrafficMirrorFilterRule ModifyTrafficMirrorSession ' +
    'ModifyTransitGateway ModifyTransitGatewayMeteringPolicy ModifyTransitGatewayPolicyTableEntry ' +
    'ModifyTransitGatewayPrefixListReference ModifyTransitGatewayVpcAttachment ModifyVerifiedAccessEndpoint ' +
    'ModifyVerifiedAccessEndpointPolicy ModifyVerifiedAccessGroup ModifyVerifiedAccessGroupPolicy ' +
    'ModifyVerifiedAccessInstance ModifyVerifiedAccessInstanceLoggingConfiguration ' +
    'ModifyVerifiedAccessTrustProvider ModifyVolume ModifyVolumeAttribute ModifyVpcAttribute ' +
    'ModifyVpcBlockPublicAccessExclusion ModifyVpcBlockPublicAccessOptions ModifyVpcEncryptionControl ' +
    'ModifyVpcEndpoint ModifyVpcEndpointConnectionNotification ModifyVpcEndpointPayerResponsibility ' +
    'ModifyVpcEndpointServiceConfiguration ModifyVpcEndpointServicePayerResponsibility ' +
    'ModifyVpcEndpointServicePermissions ModifyVpcPeeringConnectionOptions ModifyVpcTenancy ModifyVpnConnection ' +
    'ModifyVpnConnectionOptions ModifyVpnTunnelCertificate ModifyVpnTunnelOptions MonitorInstances ' +
    'MoveAddressToVpc MoveByoipCidrToIpam MoveCapacityReservationInstances PauseVolumeIO ProvisionByoipCidr ' +
    'ProvisionIpamByoasn ProvisionIpamPoolCidr ProvisionPublicIpv4PoolCidr PurchaseCapacityBlock ' +
    'PurchaseCapacityBlockExtension PurchaseHostReservation PurchaseReservedInstancesOffering ' +
    'PurchaseScheduledInstances PutResourcePolicy RebootInstances RegisterImage ' +
    'RegisterInstanceEventNotificationAttributes RegisterTransitGatewayMulticastGroupMembers ' +
    'RegisterTransitGatewayMulticastGroupSources RejectCapacityReservationBillingOwnership ' +
    'RejectTransitGatewayClientVpnAttachment RejectTransitGatewayMulticastDomainAssociations ' +
    'RejectTransitGatewayPeeringAttachment RejectTransitGatewayVpcAttachment RejectVpcEndpointConnections ' +
    'RejectVpcPeeringConnection ReleaseAddress ReleaseHosts ReleaseIpamPoolAllocation ' +
    'ReplaceIamInstanceProfileAssociation ReplaceImageCriteriaInAllowedImagesSettings ' +
    'ReplaceImageInstanceTypeSpecification ReplaceNetworkAclAssociation ReplaceNetworkAclEntry ReplaceRoute ' +
    'ReplaceRouteTableAssociation ReplaceTransitGatewayRoute ReplaceVpnTunnel ReportInstanceStatus ' +
    'RequestSpotFleet RequestSpotInstances ResetAddressAttribute ResetEbsDefaultKmsKeyId ResetFpgaImageAttribute ' +
    'ResetImageAttribute ResetInstanceAttribute ResetNetworkInterfaceAttribute ResetSnapshotAttribute ' +
    'RestoreAddressToClassic RestoreImageFromRecycleBin RestoreManagedPrefixListVersion ' +
    'RestoreSnapshotFromRecycleBin RestoreSnapshotTier RestoreVolumeFromRecycleBin RevokeClientVpnIngress ' +
    'RevokeSecurityGroupEgress RevokeSecurityGroupIngress RunInstances RunScheduledInstances ' +
    'SearchLocalGatewayRoutes SearchTransitGatewayMulticastGroups SearchTransitGatewayRoutes ' +
    'SendDiagnosticInterrupt SendSpotInstanceInterruptions StartDeclarativePoliciesReport StartInstances ' +
    'StartNetworkInsightsAccessScopeAnalysis StartNetworkInsightsAnalysis ' +
    'StartVpcEndpointServicePrivateDnsVerification StopInstances TerminateClientVpnConnections TerminateInstances ' +
    'UnassignIpv6Addresses UnassignPrivateIpAddresses UnassignPrivateNatGatewayAddress UnlockSnapshot ' +
    'UnmonitorInstances UpdateCapacityManagerMonitoredTagKeys UpdateCapacityManagerOrganizationsAccess ' +
    'UpdateInterruptibleCapacityReservationAllocation UpdateSecurityGroupRuleDescriptionsEgress ' +
    'UpdateSecurityGroupRuleDescriptionsIngress ValidateSecurityGroupQuotasForInterface WithdrawByoipCidr',
  ecr:
    'BatchCheckLayerAvailability BatchDeleteImage BatchGetImage BatchGetRepositoryScanningConfiguration ' +
    'BatchImportUpstreamImage CompleteLayerUpload CreatePullThroughCacheRule CreateRepository ' +
    'CreateRepositoryCreationTemplate DeleteLifecyclePolicy DeletePullThroughCacheRule DeleteRegistryPolicy ' +
    'DeleteRepository DeleteRepositoryCreationTemplate DeleteRepositoryPolicy DeleteSigningConfiguration ' +
    'DeregisterPullTimeUpdateExclusion DescribeImageReplicationStatus DescribeImageScanFindings ' +
    'DescribeImageSigningStatus DescribeImages DescribePullThroughCacheRules DescribeRegistry ' +
    'DescribeRepositories DescribeRepositoryCreationTemplates GetAccountSetting GetAuthorizationToken ' +
    'GetDownloadUrlForLayer GetImageCopyStatus GetLifecyclePolicy GetLifecyclePolicyPreview GetRegistryPolicy ' +
    'GetRegistryScanningConfiguration GetRepositoryPolicy GetSigningConfiguration InitiateLayerUpload ListImages ' +
    'ListPullTimeUpdateExclusions ListTagsForResource PutAccountSetting PutImage PutImageScanningConfiguration ' +
    'PutImageTagMutability PutLifecyclePolicy PutRegistryPolicy PutRegistryScanningConfiguration ' +
    'PutReplicationConfiguration PutSigningConfiguration RegisterPullTimeUpdateExclusion ReplicateImage ' +
    'SetRepositoryPolicy StartImageScan StartLifecyclePolicyPreview TagResource UntagResource ' +
    'UpdateImageStorageClass UpdatePullThroughCacheRule UpdateRepositoryCreationTemplate UploadLayerPart ' +
    'ValidatePullThroughCacheRule',
  ecs:
    'AllowVendedLogDeliveryForResource ContinueServiceDeployment CreateCapacityProvider CreateCluster ' +
    'CreateDaemon CreateExpressGatewayService CreateService CreateTaskSet DeleteAccountSetting DeleteAttributes ' +
    'DeleteCapacityProvider DeleteCluster DeleteDaemon DeleteDaemonTaskDefinition DeleteExpressGatewayService ' +
    'DeleteService DeleteTaskDefinitions DeleteTaskSet DeregisterContainerInstance DeregisterTaskDefinition ' +
    'DescribeCapacityProviders DescribeClusters DescribeContainerInstances DescribeDaemon ' +
    'DescribeDaemonDeployments DescribeDaemonRevisions DescribeDaemonTaskDefinition DescribeExpressGatewayService ' +
    'DescribeServiceDeployments DescribeServiceRevisions DescribeServices DescribeTaskDefinition DescribeTaskSets ' +
    'DescribeTasks DiscoverPollEndpoint ExecuteCommand GetTaskProtection ListAccountSettings ListAttributes ' +
    'ListClusters ListContainerInstances ListDaemonDeployments ListDaemonTaskDefinitions ListDaemons ' +
    'ListServiceDeployments ListServices ListServicesByNamespace ListTagsForResource ListTaskDefinitionFamilies ' +
    'ListTaskDefinitions ListTasks Poll PutAccountSetting PutAccountSettingDefault PutAttributes ' +
    'PutClusterCapacityProviders PutSystemLogEvents RegisterContainerInstance RegisterDaemonTaskDefinition ' +
    'RegisterTaskDefinition RunTask StartTask StartTelemetrySession StopServiceDeployment StopTask ' +
    'SubmitAttachmentStateChanges SubmitContainerStateChange SubmitTaskStateChange TagResource UntagResource ' +
    'UpdateCapacityProvider UpdateCluster UpdateClusterSettings UpdateContainerAgent ' +
    'UpdateContainerInstancesState UpdateDaemon UpdateExpressGatewayService UpdateService ' +
    'UpdateServicePrimaryTaskSet UpdateTaskProtection UpdateTaskSet',
  eks:
    'AccessKubernetesApi ActivateCertificateAuthority AssociateAccessPolicy AssociateEncryptionConfig ' +
    'AssociateIdentityProviderConfig CancelUpdate CreateAccessEntry CreateAddon CreateCapability ' +
    'CreateCertificateAuthority CreateCluster CreateEksAnywhereSubscription CreateFargateProfile CreateNodegroup ' +
    'CreatePodIdentityAssociation DeleteAccessEntry DeleteAddon DeleteCapability DeleteCertificateAuthority ' +
    'DeleteCluster DeleteEksAnywhereSubscription DeleteFargateProfile DeleteNodegroup ' +
    'DeletePodIdentityAssociation DeregisterCluster DescribeAccessEntry DescribeAddon DescribeAddonConfiguration ' +
    'DescribeAddonVersions DescribeCapability DescribeCertificateAuthority DescribeCluster ' +
    'DescribeClusterVersions DescribeEksAnywhereSubscription DescribeFargateProfile ' +
    'DescribeIdentityProviderConfig DescribeInsight DescribeInsightsRefresh DescribeNodegroup ' +
    'DescribePodIdentityAssociation DescribeUpdate DisassociateAccessPolicy DisassociateIdentityProviderConfig ' +
    'ListAccessEntries ListAccessPolicies ListAddons ListAssociatedAccessPolicies ListCapabilities ' +
    'ListCertificateAuthorities ListClusters ListDashboardData ListDashboardResources ' +
    'ListEksAnywhereSubscriptions ListFargateProfiles ListIdentityProviderConfigs ListInsights ListNodegroups ' +
    'ListPodIdentityAssociations ListTagsForResource ListUpdates MutateViaKubernetesApi RegisterCluster ' +
    'StartInsightsRefresh TagResource UntagResource UpdateAccessEntry UpdateAddon UpdateCapability ' +
    'UpdateClusterConfig UpdateClusterVersion UpdateEksAnywhereSubscription UpdateNodegroupConfig ' +
    'UpdateNodegroupVersion UpdatePodIdentityAssociation',
  elasticloadbalancing:
    'AddListenerCertificates AddTags AddTrustStoreRevocations AllowVendedLogDeliveryForResource ' +
    'ApplySecurityGroupsToLoadBalancer AttachLoadBalancerToSubnets ConfigureHealthCheck ' +
    'CreateAppCookieStickinessPolicy CreateLBCookieStickinessPolicy CreateListener CreateLoadBalancer ' +
    'CreateLoadBalancerListeners CreateLoadBalancerPolicy CreateRule CreateTargetGroup CreateTrustStore ' +
    'CreateWebACLAssociation DeleteListener DeleteLoadBalancer DeleteLoadBalancerListeners ' +
    'DeleteLoadBalancerPolicy DeleteRule DeleteSharedTrustStoreAssociation DeleteTargetGroup DeleteTrustStore ' +
    'DeleteWebACLAssociation DeregisterInstancesFromLoadBalancer DeregisterTargets DescribeAccountLimits ' +
    'DescribeCapacityReservation DescribeInstanceHealth DescribeListenerAttributes DescribeListenerCertificates ' +
    'DescribeListeners DescribeLoadBalancerAttributes DescribeLoadBalancerPolicies ' +
    'DescribeLoadBalancerPolicyTypes DescribeLoadBalancers DescribeRules DescribeSSLPolicies DescribeTags ' +
    'DescribeTargetGroupAttributes DescribeTargetGroups DescribeTargetHealth DescribeTrustStoreAssociations ' +
    'DescribeTrustStoreRevocations DescribeTrustStores DescribeWebACLAssociation DetachLoadBalancerFromSubnets ' +
    'DisableAvailabilityZonesForLoadBalancer EnableAvailabilityZonesForLoadBalancer GetLoadBalancerWebACL ' +
    'GetResourcePolicy GetTrustStoreCaCertificatesBundle GetTrustStoreRevocationContent ModifyCapacityReservation ' +
    'ModifyIpPools ModifyListener ModifyListenerAttributes ModifyLoadBalancerAttributes ModifyRule ' +
    'ModifyTargetGroup ModifyTargetGroupAttributes ModifyTrustStore RegisterInstancesWithLoadBalancer ' +
    'RegisterTargets RemoveListenerCertificates RemoveTags RemoveTrustStoreRevocations SetIpAddressType ' +
    'SetLoadBalancerListenerSSLCertificate SetLoadBalancerPoliciesForBackendServer ' +
    'SetLoadBalancerPoliciesOfListener SetRulePriorities SetSecurityGroups SetSubnets SetWebAcl',
  iam:
    'AcceptDelegationRequest AddClientIDToOpenIDConnectProvider AddRoleToInstanceProfile AddUserToGroup ' +
    'AssociateDelegationRequest AttachGroupPolicy AttachRolePolicy AttachUserPolicy ChangePassword ' +
    'CreateAccessKey CreateAccountAlias CreateDelegationRequest CreateGroup CreateInstanceProfile ' +
    'CreateLoginProfile CreateOpenIDConnectProvider CreatePolicy CreatePolicyVersion CreateRole ' +
    'CreateSAMLProvider CreateServiceLinkedRole CreateServiceSpecificCredential CreateUser CreateVirtualMFADevice ' +
    'DeactivateMFADevice DeleteAccessKey DeleteAccountAlias DeleteAccountPasswordPolicy DeleteCloudFrontPublicKey ' +
    'DeleteGroup DeleteGroupPolicy DeleteInstanceProfile DeleteLoginProfile DeleteOpenIDConnectProvider ' +
    'DeletePolicy DeletePolicyVersion DeleteRole DeleteRolePermissionsBoundary DeleteRolePolicy ' +
    'DeleteSAMLProvider DeleteSSHPublicKey DeleteServerCertificate DeleteServiceLinkedRole ' +
    'DeleteServiceSpecificCredential DeleteSigningCertificate DeleteUser DeleteUserPermissionsBoundary ' +
    'DeleteUserPolicy DeleteVirtualMFADevice DetachGroupPolicy DetachRolePolicy DetachUserPolicy ' +
    'DisableOrganizationsRootCredentialsManagement DisableOrganizationsRootSessions ' +
    'DisableOutboundWebIdentityFederation EnableMFADevice EnableOrganizationsRootCredentialsManagement ' +
    'EnableOrganizationsRootSessions EnableOutboundWebIdentityFederation GenerateCredentialReport ' +
    'GenerateOrganizationsAccessReport GenerateServiceLastAccessedDetails GetAccessKeyLastUsed ' +
    'GetAccountAuthorizationDetails GetAccountEmailAddress GetAccountName GetAccountPasswordPolicy ' +
    'GetAccountProperties GetAccountSummary GetCloudFrontPublicKey GetContextKeysForCustomPolicy ' +
    'GetContextKeysForPrincipalPolicy GetCredentialReport GetDelegationRequest GetGroup GetGroupPolicy ' +
    'GetHumanReadableSummary GetInstanceProfile GetLoginProfile GetMFADevice GetOpenIDConnectProvider ' +
    'GetOrganizationsAccessReport GetOutboundWebIdentityFederationInfo GetPolicy GetPolicyVersion GetRole ' +
    'GetRolePolicy GetRoleTemplateVersion GetSAMLProvider GetSSHPublicKey GetServerCertificate ' +
    'GetServiceLastAccessedDetails GetServiceLastAccessedDetailsWithEntities GetServiceLinkedRoleDeletionStatus ' +
    'GetUser GetUserPolicy ListAccessKeys ListAccountAliases ListAttachedGroupPolicies ListAttachedRolePolicies ' +
    'ListAttachedUserPolicies ListCloudFrontPublicKeys ListDelegationRequests ListEntitiesForPolicy ' +
    'ListGroupPolicies ListGroups ListGroupsForUser ListInstanceProfileTags ListInstanceProfiles ' +
    'ListInstanceProfilesForRole ListMFADeviceTags ListMFADevices ListOpenIDConnectProviderTags ' +
    'ListOpenIDConnectProviders ListOrganizationsFeatures ListPolicies ListPoliciesGrantingServiceAccess ' +
    'ListPolicyTags ListPolicyVersions ListRolePolicies ListRoleTags ListRoles ListSAMLProviderTags ' +
    'ListSAMLProviders ListSSHPublicKeys ListSTSRegionalEndpointsStatus ListServerCertificateTags ' +
    'ListServerCertificates ListServiceSpecificCredentials ListSigningCertificates ListUserPolicies ListUserTags ' +
    'ListUsers ListVirtualMFADevices PassRole PutAccountProperties PutGroupPolicy PutRolePermissionsBoundary ' +
    'PutRolePolicy PutUserPermissionsBoundary PutUserPolicy RejectDelegationRequest ' +
    'RemoveClientIDFromOpenIDConnectProvider RemoveRoleFromInstanceProfile RemoveUserFromGroup ' +
    'ResetServiceSpecificCredential ResyncMFADevice SendDelegationToken SetDefaultPolicyVersion ' +
    'SetSTSRegionalEndpointStatus SetSecurityTokenServicePreferences SimulateCustomPolicy SimulatePrincipalPolicy ' +
    'TagInstanceProfile TagMFADevice TagOpenIDConnectProvider TagPolicy TagRole TagSAMLProvider ' +
    'TagServerCertificate TagUser UntagInstanceProfile UntagMFADevice UntagOpenIDConnectProvider UntagPolicy ' +
    'UntagRole UntagSAMLProvider UntagServerCertificate UntagUser UpdateAccessKey UpdateAccountEmailAddress ' +
    'UpdateAccountName UpdateAccountPasswordPolicy UpdateAssumeRolePolicy UpdateCloudFrontPublicKey UpdateGroup ' +
    'UpdateLoginProfile UpdateOpenIDConnectProviderThumbprint UpdateRole UpdateRoleDescription UpdateSAMLProvider ' +
    'UpdateSSHPublicKey UpdateServerCertificate UpdateServiceSpecificCredential UpdateSigningCertificate ' +
    'UpdateUser UploadCloudFrontPublicKey UploadSSHPublicKey UploadServerCertificate UploadSigningCertificate',
  kms:
    'CancelKeyDeletion ConnectCustomKeyStore CreateAlias CreateCustomKeyStore CreateGrant CreateKey Decrypt ' +
    'DeleteAlias DeleteCustomKeyStore DeleteImportedKeyMaterial DeriveSharedSecret DescribeCustomKeyStores ' +
    'DescribeKey DisableKey DisableKeyRotation DisconnectCustomKeyStore EnableKey EnableKeyRotation Encrypt ' +
    'GenerateDataKey GenerateDataKeyPair GenerateDataKeyPairWithoutPlaintext GenerateDataKeyWithoutPlaintext ' +
    'GenerateMac GenerateRandom GetKeyLastUsage GetKeyPolicy GetKeyRotationStatus GetParametersForImport ' +
    'GetPublicKey ImportKeyMaterial ListAliases ListGrants ListKeyPolicies ListKeyRotations ListKeys ' +
    'ListResourceTags ListRetirableGrants PutKeyPolicy ReEncryptFrom ReEncryptTo ReplicateKey RetireGrant ' +
    'RevokeGrant RotateKeyOnDemand ScheduleKeyDeletion Sign SynchronizeMultiRegionKey TagResource UntagResource ' +
    'UpdateAlias UpdateCustomKeyStore UpdateKeyDescription UpdatePrimaryRegion Verify VerifyMac',
  lambda:
    'AddLayerVersionPermission AddPermission CheckpointDurableExecution ConnectMicrovm CreateAlias ' +
    'CreateCapacityProvider CreateCodeSigningConfig CreateEventSourceMapping CreateFunction ' +
    'CreateFunctionUrlConfig CreateMicrovmAuthToken CreateMicrovmImage CreateMicrovmShellAuthToken ' +
    'CreateNetworkConnector DeleteAlias DeleteCapacityProvider DeleteCodeSigningConfig DeleteEventSourceMapping ' +
    'DeleteFunction DeleteFunctionCodeSigningConfig DeleteFunctionConcurrency DeleteFunctionEventInvokeConfig ' +
    'DeleteFunctionUrlConfig DeleteLayerVersion DeleteMicrovmImage DeleteMicrovmImageVersion ' +
    'DeleteNetworkConnector DeleteProvisionedConcurrencyConfig DeleteResourcePolicy DisableReplication ' +
    'EnableReplication GetAccountSettings GetAlias GetCapacityProvider GetCodeSigningConfig GetDurableExecution ' +
    'GetDurableExecutionHistory GetDurableExecutionState GetEventSourceMapping GetFunction ' +
    'GetFunctionCodeSigningConfig GetFunctionConcurrency GetFunctionConfiguration GetFunctionEventInvokeConfig ' +
    'GetFunctionRecursionConfig GetFunctionScalingConfig GetFunctionUrlConfig GetLayerVersion ' +
    'GetLayerVersionPolicy GetMicrovm GetMicrovmImage GetMicrovmImageBuild GetMicrovmImageVersion ' +
    'GetNetworkConnector GetPolicy GetProvisionedConcurrencyConfig GetResourcePolicy GetRuntimeManagementConfig ' +
    'InvokeAsync InvokeFunction InvokeFunctionUrl ListAliases ListCapacityProviders ListCodeSigningConfigs ' +
    'ListDurableExecutionsByFunction ListEventSourceMappings ListFunctionEventInvokeConfigs ' +
    'ListFunctionUrlConfigs ListFunctionVersionsByCapacityProvider ListFunctions ListFunctionsByCodeSigningConfig ' +
    'ListLayerVersions ListLayers ListManagedMicrovmImageVersions ListManagedMicrovmImages ListMicrovmImageBuilds ' +
    'ListMicrovmImageVersions ListMicrovmImages ListMicrovms ListNetworkConnectors ' +
    'ListProvisionedConcurrencyConfigs ListTags ListVersionsByFunction PassCapacityProvider PassNetworkConnector ' +
    'PublishLayerVersion PublishVersion PutFunctionCodeSigningConfig PutFunctionConcurrency ' +
    'PutFunctionEventInvokeConfig PutFunctionRecursionConfig PutFunctionScalingConfig ' +
    'PutProvisionedConcurrencyConfig PutResourcePolicy PutRuntimeManagementConfig RemoveLayerVersionPermission ' +
    'RemovePermission ResumeMicrovm RunMicrovm SendDurableExecutionCallbackFailure ' +
    'SendDurableExecutionCallbackHeartbeat SendDurableExecutionCallbackSuccess StopDurableExecution ' +
    'SuspendMicrovm TagResource TerminateMicrovm UntagResource UpdateAlias UpdateCapacityProvider ' +
    'UpdateCodeSigningConfig UpdateEventSourceMapping UpdateFunctionCode UpdateFunctionCodeSigningConfig ' +
    'UpdateFunctionConfiguration UpdateFunctionEventInvokeConfig UpdateFunctionUrlConfig UpdateMicrovmImage ' +
    'UpdateMicrovmImageVersion UpdateNetworkConnector',
  logs:
    'AssociateKmsKey AssociateSourceToS3TableIntegration CallWithBearerToken CancelExportTask CancelImportTask ' +
    'CreateDelivery CreateExportTask CreateImportTask CreateLogAnomalyDetector CreateLogDelivery CreateLogGroup ' +
    'CreateLogStream CreateLookupTable CreateScheduledQuery DeleteAccountPolicy DeleteDataProtectionPolicy ' +
    'DeleteDelivery DeleteDeliveryDestination DeleteDeliveryDestinationPolicy DeleteDeliverySource ' +
    'DeleteDestination DeleteIndexPolicy DeleteIntegration DeleteLogAnomalyDetector DeleteLogDelivery ' +
    'DeleteLogGroup DeleteLogStream DeleteLookupTable DeleteMetricFilter DeletePipelineRule DeleteQueryDefinition ' +
    'DeleteResourcePolicy DeleteRetentionPolicy DeleteScheduledQuery DeleteSubscriptionFilter ' +
    'DeleteSyslogConfiguration DeleteTransformer DescribeAccountPolicies DescribeConfigurationTemplates ' +
    'DescribeDeliveries DescribeDeliveryDestinations DescribeDeliverySources DescribeDestinations ' +
    'DescribeExportTasks DescribeFieldIndexes DescribeImportTaskBatches DescribeImportTasks DescribeIndexPolicies ' +
    'DescribeLogGroups DescribeLogStreams DescribeLookupTables DescribeMetricFilters DescribeQueries ' +
    'DescribeQueryDefinitions DescribeResourcePolicies DescribeSubscriptionFilters DisassociateKmsKey ' +
    'DisassociateSourceFromS3TableIntegration FilterLogEvents GetDataProtectionPolicy GetDelivery ' +
    'GetDeliveryDestination GetDeliveryDestinationPolicy GetDeliverySource GetIntegration GetLogAnomalyDetector ' +
    'GetLogDelivery GetLogEvents GetLogFields GetLogGroupFields GetLogRecord GetLookupTable GetQueryResults ' +
    'GetScheduledQuery GetScheduledQueryHistory GetStorageTierPolicy GetTransformer IntegrateWithDataset ' +
    'IntegrateWithS3Table Link ListAggregateLogGroupSummaries ListAnomalies ListEntitiesForLogGroup ' +
    'ListIntegrations ListLogAnomalyDetectors ListLogDeliveries ListLogGroups ListLogGroupsForEntity ' +
    'ListLogGroupsForQuery ListScheduledQueries ListSourcesForS3TableIntegration ListSyslogConfigurations ' +
    'ListTagsForResource ListTagsLogGroup ProcessWithPipeline PutAccountPolicy PutBearerTokenAuthentication ' +
    'PutDataProtectionPolicy PutDeliveryDestination PutDeliveryDestinationPolicy PutDeliverySource PutDestination ' +
    'PutDestinationPolicy PutIndexPolicy PutIntegration PutLogEvents PutLogGroupDeletionProtection ' +
    'PutMetricFilter PutPipelineRule PutQueryDefinition PutResourcePolicy PutRetentionPolicy PutStorageTierPolicy ' +
    'PutSubscriptionFilter PutSyslogConfiguration PutTransformer StartLiveTail StartQuery StopLiveTail StopQuery ' +
    'TagLogGroup TagResource TestMetricFilter TestTransformer Unmask UntagLogGroup UntagResource UpdateAnomaly ' +
    'UpdateDeliveryConfiguration UpdateLogAnomalyDetector UpdateLogDelivery UpdateLookupTable ' +
    'UpdateScheduledQuery',
  route53:
    'ActivateKeySigningKey AssociateVPCWithHostedZone ChangeCidrCollection ChangeResourceRecordSets ' +
    'ChangeTagsForResource CreateCidrCollection CreateHealthCheck CreateHostedZone CreateKeySigningKey ' +
    'CreateQueryLoggingConfig CreateReusableDelegationSet CreateTrafficPolicy CreateTrafficPolicyInstance ' +
    'CreateTrafficPolicyVersion CreateVPCAssociationAuthorization DeactivateKeySigningKey DeleteCidrCollection ' +
    'DeleteHealthCheck DeleteHostedZone DeleteKeySigningKey DeleteQueryLoggingConfig DeleteReusableDelegationSet ' +
    'DeleteTrafficPolicy DeleteTrafficPolicyInstance DeleteVPCAssociationAuthorization DisableHostedZoneDNSSEC ' +
    'DisassociateVPCFromHostedZone EnableHostedZoneDNSSEC GetAccountLimit GetChange GetCheckerIpRanges GetDNSSEC ' +
    'GetGeoLocation GetHealthCheck GetHealthCheckCount GetHealthCheckLastFailureReason GetHealthCheckStatus ' +
    'GetHostedZone GetHostedZoneCount GetHostedZoneLimit GetQueryLoggingConfig GetReusableDelegationSet ' +
    'GetReusableDelegationSetLimit GetTrafficPolicy GetTrafficPolicyInstance GetTrafficPolicyInstanceCount ' +
    'ListCidrBlocks ListCidrCollections ListCidrLocations ListGeoLocations ListHealthChecks ListHostedZones ' +
    'ListHostedZonesByName ListHostedZonesByVPC ListQueryLoggingConfigs ListResourceRecordSets ' +
    'ListReusableDelegationSets ListTagsForResource ListTagsForResources ListTrafficPolicies ' +
    'ListTrafficPolicyInstances ListTrafficPolicyInstancesByHostedZone ListTrafficPolicyInstancesByPolicy ' +
    'ListTrafficPolicyVersions ListVPCAssociationAuthorizations TestDNSAnswer UpdateHealthCheck ' +
    'UpdateHostedZoneComment UpdateHostedZoneFeatures UpdateTrafficPolicyComment UpdateTrafficPolicyInstance',
  s3:
    'AbortMultipartUpload AllowVendedLogDeliveryForResource AssociateAccessGrantsIdentityCenter ' +
    'BypassGovernanceRetention CreateAccessGrant CreateAccessGrantsInstance CreateAccessGrantsLocation ' +
    'CreateAccessPoint CreateAccessPointForObjectLambda CreateBucket CreateBucketMetadataTableConfiguration ' +
    'CreateJob CreateMultiRegionAccessPoint CreateStorageLensGroup DeleteAccessGrant DeleteAccessGrantsInstance ' +
    'DeleteAccessGrantsInstanceResourcePolicy DeleteAccessGrantsLocation DeleteAccessPoint ' +
    'DeleteAccessPointForObjectLambda DeleteAccessPointPolicy DeleteAccessPointPolicyForObjectLambda DeleteBucket ' +
    'DeleteBucketMetadataTableConfiguration DeleteBucketPolicy DeleteBucketWebsite DeleteJobTagging ' +
    'DeleteMultiRegionAccessPoint DeleteObject DeleteObjectAnnotation DeleteObjectTagging DeleteObjectVersion ' +
    'DeleteObjectVersionAnnotation DeleteObjectVersionTagging DeleteStorageLensConfiguration ' +
    'DeleteStorageLensConfigurationTagging DeleteStorageLensGroup DescribeJob ' +
    'DescribeMultiRegionAccessPointOperation DissociateAccessGrantsIdentityCenter GetAccelerateConfiguration ' +
    'GetAccessGrant GetAccessGrantsInstance GetAccessGrantsInstanceForPrefix ' +
    'GetAccessGrantsInstanceResourcePolicy GetAccessGrantsLocation GetAccessPoint ' +
    'GetAccessPointConfigurationForObjectLambda GetAccessPointForObjectLambda GetAccessPointPolicy ' +
    'GetAccessPointPolicyForObjectLambda GetAccessPointPolicyStatus GetAccessPointPolicyStatusForObjectLambda ' +
    'GetAccountPublicAccessBlock GetAnalyticsConfiguration GetBucketAbac GetBucketAcl GetBucketCORS ' +
    'GetBucketLocation GetBucketLogging GetBucketMetadataTableConfiguration GetBucketNotification ' +
    'GetBucketObjectLockConfiguration GetBucketOwnershipControls GetBucketPolicy GetBucketPolicyStatus ' +
    'GetBucketPublicAccessBlock GetBucketRequestPayment GetBucketTagging GetBucketVersioning GetBucketWebsite ' +
    'GetDataAccess GetEncryptionConfiguration GetIntelligentTieringConfiguration GetInventoryConfiguration ' +
    'GetJobTagging GetLifecycleConfiguration GetMetricsConfiguration GetMultiRegionAccessPoint ' +
    'GetMultiRegionAccessPointPolicy GetMultiRegionAccessPointPolicyStatus GetMultiRegionAccessPointRoutes ' +
    'GetObject GetObjectAcl GetObjectAnnotation GetObjectAttributes GetObjectLegalHold GetObjectRetention ' +
    'GetObjectTagging GetObjectTorrent GetObjectVersion GetObjectVersionAcl GetObjectVersionAnnotation ' +
    'GetObjectVersionAnnotationForReplication GetObjectVersionAttributes GetObjectVersionForReplication ' +
    'GetObjectVersionTagging GetObjectVersionTorrent GetReplicationConfiguration GetStorageLensConfiguration ' +
    'GetStorageLensConfigurationTagging GetStorageLensDashboard GetStorageLensGroup InitiateReplication ' +
    'ListAccessGrants ListAccessGrantsInstances ListAccessGrantsLocations ListAccessPoints ' +
    'ListAccessPointsForObjectLambda ListAllMyBuckets ListBucket ListBucketMultipartUploads ListBucketVersions ' +
    'ListCallerAccessGrants ListJobs ListMultiRegionAccessPoints ListMultipartUploadParts ListObjectAnnotations ' +
    'ListObjectVersionAnnotations ListStorageLensConfigurations ListStorageLensGroups ListTagsForResource ' +
    'ObjectOwnerOverrideToBucketOwner PauseReplication PutAccelerateConfiguration ' +
    'PutAccessGrantsInstanceResourcePolicy PutAccessPointConfigurationForObjectLambda PutAccessPointPolicy ' +
    'PutAccessPointPolicyForObjectLambda PutAccessPointPublicAccessBlock PutAccountPublicAccessBlock ' +
    'PutAnalyticsConfiguration PutBucketAbac PutBucketAcl PutBucketCORS PutBucketLogging PutBucketNotification ' +
    'PutBucketObjectLockConfiguration PutBucketOwnershipControls PutBucketPolicy PutBucketPublicAccessBlock ' +
    'PutBucketRequestPayment PutBucketTagging PutBucketVersioning PutBucketWebsite PutEncryptionConfiguration ' +
    'PutIntelligentTieringConfiguration PutInventoryConfiguration PutJobTagging PutLifecycleConfiguration ' +
    'PutMetricsConfiguration PutMultiRegionAccessPointPolicy PutObject PutObjectAcl PutObjectAnnotation ' +
    'PutObjectLegalHold PutObjectRetention PutObjectTagging PutObjectVersionAcl PutObjectVersionAnnotation ' +
    'PutObjectVersionTagging PutReplicationConfiguration PutStorageLensConfiguration ' +
    'PutStorageLensConfigurationTagging ReplicateDelete ReplicateObject ReplicateObjectAnnotation ReplicateTags ' +
    'RestoreObject SubmitMultiRegionAccessPointRoutes TagResource UntagResource UpdateAccessGrantsLocation ' +
    'UpdateBucketMetadataAnnotationTableConfiguration UpdateBucketMetadataInventoryTableConfiguration ' +
    'UpdateBucketMetadataJournalTableConfiguration UpdateJobPriority UpdateJobStatus UpdateObjectEncryption ' +
    'UpdateStorageLensGroup',
  secretsmanager:
    'BatchGetSecretValue CancelRotateSecret CreateSecret DeleteResourcePolicy DeleteSecret DescribeSecret ' +
    'GetRandomPassword GetResourcePolicy GetSecretValue ListSecretVersionIds ListSecrets PutResourcePolicy ' +
    'PutSecretValue RemoveRegionsFromReplication ReplicateSecretToRegions RestoreSecret RotateSecret ' +
    'StopReplicationToReplica TagResource UntagResource UpdateSecret UpdateSecretVersionStage ' +
    'ValidateResourcePolicy',
  sns:
    'AddPermission CheckIfPhoneNumberIsOptedOut ConfirmSubscription CreatePlatformApplication ' +
    'CreatePlatformEndpoint CreateSMSSandboxPhoneNumber CreateTopic DeleteEndpoint DeletePlatformApplication ' +
    'DeleteSMSSandboxPhoneNumber DeleteTopic GetDataProtectionPolicy GetEndpointAttributes ' +
    'GetPlatformApplicationAttributes GetSMSAttributes GetSMSSandboxAccountStatus GetSubscriptionAttributes ' +
    'GetTopicAttributes ListEndpointsByPlatformApplication ListOriginationNumbers ListPhoneNumbersOptedOut ' +
    'ListPlatformApplications ListSMSSandboxPhoneNumbers ListSubscriptions ListSubscriptionsByTopic ' +
    'ListTagsForResource ListTopics OptInPhoneNumber Publish PutDataProtectionPolicy RemovePermission ' +
    'SetEndpointAttributes SetPlatformApplicationAttributes SetSMSAttributes SetSubscriptionAttributes ' +
    'SetTopicAttributes Subscribe TagResource Unsubscribe UntagResource VerifySMSSandboxPhoneNumber',
  sqs:
    'AddPermission CancelMessageMoveTask ChangeMessageVisibility CreateQueue DeleteMessage DeleteQueue ' +
    'GetQueueAttributes GetQueueUrl ListDeadLetterSourceQueues ListMessageMoveTasks ListQueueTags ListQueues ' +
    'PurgeQueue ReceiveMessage RemovePermission SendMessage SetQueueAttributes StartMessageMoveTask TagQueue ' +
    'UntagQueue',
  ssm:
    'AddTagsToResource AssociateOpsItemRelatedItem CancelCommand CancelMaintenanceWindowExecution ' +
    'CreateActivation CreateAssociation CreateAssociationBatch CreateCloudConnector CreateDocument ' +
    'CreateMaintenanceWindow CreateOpsItem CreateOpsMetadata CreatePatchBaseline CreateResourceDataSync ' +
    'DeleteActivation DeleteAssociation DeleteCloudConnector DeleteDocument DeleteInventory ' +
    'DeleteMaintenanceWindow DeleteOpsItem DeleteOpsMetadata DeleteParameter DeleteParameters DeletePatchBaseline ' +
    'DeleteResourceDataSync DeleteResourcePolicy DeregisterManagedInstance DeregisterPatchBaselineForPatchGroup ' +
    'DeregisterTargetFromMaintenanceWindow DeregisterTaskFromMaintenanceWindow DescribeActivations ' +
    'DescribeAssociation DescribeAssociationExecutionTargets DescribeAssociationExecutions ' +
    'DescribeAutomationExecutions DescribeAutomationStepExecutions DescribeAvailablePatches DescribeDocument ' +
    'DescribeDocumentParameters DescribeDocumentPermission DescribeEffectiveInstanceAssociations ' +
    'DescribeEffectivePatchesForPatchBaseline DescribeInstanceAssociationsStatus DescribeInstanceInformation ' +
    'DescribeInstancePatchStates DescribeInstancePatchStatesForPatchGroup DescribeInstancePatches ' +
    'DescribeInstanceProperties DescribeInventoryDeletions DescribeMaintenanceWindowExecutionTaskInvocations ' +
    'DescribeMaintenanceWindowExecutionTasks DescribeMaintenanceWindowExecutions ' +
    'DescribeMaintenanceWindowSchedule DescribeMaintenanceWindowTargets DescribeMaintenanceWindowTasks ' +
    'DescribeMaintenanceWindows DescribeMaintenanceWindowsForTarget DescribeOpsItems DescribeParameters ' +
    'DescribePatchBaselines DescribePatchGroupState DescribePatchGroups DescribePatchProperties DescribeSessions ' +
    'DisassociateOpsItemRelatedItem ExecuteAPI GetAccessToken GetAutomationExecution GetCalendar GetCalendarState ' +
    'GetCloudConnector GetCommandInvocation GetConnectionStatus GetDefaultPatchBaseline ' +
    'GetDeployablePatchSnapshotForInstance GetDocument GetExecutionPreview GetInventory GetInventorySchema ' +
    'GetMaintenanceWindow GetMaintenanceWindowExecution GetMaintenanceWindowExecutionTask ' +
    'GetMaintenanceWindowExecutionTaskInvocation GetMaintenanceWindowTask GetManifest GetOpsItem GetOpsMetadata ' +
    'GetOpsSummary GetParameter GetParameterHistory GetParameters GetParametersByPath GetPatchBaseline ' +
    'GetPatchBaselineForPatchGroup GetResourcePolicies GetServiceSetting LabelParameterVersion ' +
    'ListAssociationVersions ListAssociations ListCloudConnectors ListCommandInvocations ListCommands ' +
    'ListComplianceItems ListComplianceSummaries ListDocumentMetadataHistory ListDocumentVersions ListDocuments ' +
    'ListInstanceAssociations ListInventoryEntries ListNodes ListNodesSummary ListOpsItemEvents ' +
    'ListOpsItemRelatedItems ListOpsMetadata ListResourceComplianceSummaries ListResourceDataSync ' +
    'ListTagsForResource ModifyDocumentPermission PutCalendar PutComplianceItems PutConfigurePackageResult ' +
    'PutInventory PutParameter PutResourcePolicy RegisterDefaultPatchBaseline RegisterManagedInstance ' +
    'RegisterPatchBaselineForPatchGroup RegisterTargetWithMaintenanceWindow RegisterTaskWithMaintenanceWindow ' +
    'RemoveTagsFromResource RequestManagedInstanceRoleToken ResetServiceSetting ResumeSession ' +
    'SendAutomationSignal SendCommand StartAccessRequest StartAssociationsOnce StartAutomationExecution ' +
    'StartChangeRequestExecution StartExecutionPreview StartSession StopAutomationExecution TerminateSession ' +
    'UnlabelParameterVersion UpdateAssociation UpdateAssociationStatus UpdateCloudConnector UpdateDocument ' +
    'UpdateDocumentDefaultVersion UpdateDocumentMetadata UpdateInstanceAssociationStatus ' +
    'UpdateInstanceInformation UpdateMaintenanceWindow UpdateMaintenanceWindowTarget UpdateMaintenanceWindowTask ' +
    'UpdateManagedInstancePublicKey UpdateManagedInstanceRole UpdateOpsItem UpdateOpsMetadata UpdatePatchBaseline ' +
    'UpdateResourceDataSync UpdateServiceSetting ValidateCloudConnector',
  sts:
    'AssumeRole AssumeRoleWithSAML AssumeRoleWithWebIdentity AssumeRoot DecodeAuthorizationMessage ' +
    'GetAccessKeyInfo GetCallerIdentity GetDelegatedAccessToken GetFederationToken GetServiceBearerToken ' +
    'GetSessionToken GetWebIdentityToken SetContext SetSourceIdentity TagGetWebIdentityToken TagSession',
};

let sets: Map<string, { lower: Set<string>; names: string[] }> | undefined;

function catalogue(): Map<string, { lower: Set<string>; names: string[] }> {
  if (!sets) {
    sets = new Map();
    for (const [service, text] of Object.entries(ACTIONS)) {
      const names = text.split(' ');
      sets.set(service, { lower: new Set(names.map((n) => n.toLowerCase())), names });
    }
  }
  return sets;
}

/** The service prefixes the catalogue lists whole (lower case). */
export function coveredServices(): string[] {
  return Object.keys(ACTIONS);
}

/** Whether the catalogue lists every action of `service` (its prefix, any case). */
export function serviceCovered(service: string): boolean {
  return Object.hasOwn(ACTIONS, service.toLowerCase());
}

/** Edit distance (insertions, deletions, substitutions, swaps of two neighbours: `Gte` is one from `Get`), given up past `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      row.push(v);
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** The catalogue's name nearest to `name` (lower case), within a quarter of its length (at least 2 edits). */
function nearest(names: readonly string[], name: string): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 4));
  let best: string | undefined;
  let bestD = limit + 1;
  for (const n of names) {
    const d = distance(name, n.toLowerCase(), Math.min(limit, bestD));
    if (d < bestD) {
      best = n;
      bestD = d;
    }
  }
  return best;
}

export interface UnknownAction {
  /** The action as written. */
  action: string;
  /** A listed action (or, for a wildcard, a listed prefix with its wildcard) the writer may have meant. */
  didYouMean?: string;
}

/**
 * An action (`service:Name`, wildcards `*` and `?` allowed in the name) that names no action of a
 * service the catalogue covers; undefined when it names one, or its service is not covered, or the
 * service part has a wildcard (`*`, `s3*:Get*`: not one service).
 */
export function unknownAction(action: string): UnknownAction | undefined {
  const colon = action.indexOf(':');
  if (colon < 0) return undefined;
  const service = action.slice(0, colon).toLowerCase();
  const name = action.slice(colon + 1).toLowerCase();
  if (!serviceCovered(service)) return undefined;
  const entry = catalogue().get(service)!;
  if (!/[*?]/.test(name)) {
    if (entry.lower.has(name)) return undefined;
    const hit = nearest(entry.names, name);
    return { action, ...(hit !== undefined ? { didYouMean: `${action.slice(0, colon)}:${hit}` } : {}) };
  }
  const pattern = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  for (const n of entry.lower) if (pattern.test(n)) return undefined;
  // A wildcard matching nothing: the nearest name to its literal part before the first wildcard, cut to that length.
  const head = name.slice(0, name.search(/[*?]/));
  if (head.length === 0) return { action };
  const heads = [...new Set(entry.names.map((n) => n.slice(0, head.length)))];
  const hit = nearest(heads, head);
  return { action, ...(hit !== undefined ? { didYouMean: `${action.slice(0, colon)}:${hit}${name.slice(head.length)}` } : {}) };
}
