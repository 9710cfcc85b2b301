namespace MLNet.CSP.Models;

/// <summary>One level of a trunk's feature pyramid (timm's <c>feature_info</c> entry).</summary>
/// <param name="Module">The reference's module path whose output this level is (e.g. <c>stages.2</c>).</param>
/// <param name="Channels">Channels of the map.</param>
/// <param name="Reduction">Stride of the map relative to the input (2, 4, 8, 16, 32).</param>
public sealed record FeatureInfo(string Module, int Channels, int Reduction);
