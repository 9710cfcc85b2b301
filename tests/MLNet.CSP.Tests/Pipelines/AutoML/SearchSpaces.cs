using Microsoft.ML.SearchSpace;
using MLNet.CSP.Pipelines.AutoML;

namespace MLNet.CSP.Tests.Pipelines.AutoML;

/// <summary>Search spaces the tests declare, the way users do: ML.NET's attributes on properties named as the searchable settings.</summary>
public sealed class TinySpace
{
    [Choice(new object[] { "cs3darknet_s" })]
    public string Architecture { get; set; } = "cs3darknet_s";

    [Choice(new object[] { 16, 32 }, 32)]
    public int ImageSize { get; set; } = 32;

    [Choice(new object[] { "LbfgsMaximumEntropy", "SdcaMaximumEntropy" })]
    public CspHeadTrainer Head { get; set; } = CspHeadTrainer.LbfgsMaximumEntropy;

    [BooleanChoice(false)]
    public bool FreezeBackbone { get; set; }
}

/// <summary>The first fine-tuning configuration diverges (learning rate 1e9); sampled ones use sane rates.</summary>
public sealed class DivergingFirstSpace
{
    [Choice(new object[] { "cs3darknet_s" })]
    public string Architecture { get; set; } = "cs3darknet_s";

    [Choice(new object[] { 16 })]
    public int ImageSize { get; set; } = 16;

    [Choice(new object[] { 1e9, 2e-3, 3e-3 })]
    public double LearningRate { get; set; } = 1e9;

    [Choice(new object[] { "LbfgsMaximumEntropy" })]
    public CspHeadTrainer Head { get; set; } = CspHeadTrainer.LbfgsMaximumEntropy;

    [BooleanChoice(false)]
    public bool FreezeBackbone { get; set; }
}

/// <summary>Declares a setting that does not exist.</summary>
public sealed class UnknownSettingSpace
{
    [Range(1, 10)]
    public int Depth { get; set; }
}

/// <summary>Declares a head by a number that names no trainer.</summary>
public sealed class UndefinedHeadSpace
{
    [Choice(new object[] { 0, 99 })]
    public CspHeadTrainer Head { get; set; } = CspHeadTrainer.LbfgsMaximumEntropy;
}

/// <summary>Declares an architecture that is not registered.</summary>
public sealed class UnknownArchitectureSpace
{
    [Choice(new object[] { "cs3darknet_s", "resnet9000" })]
    public string Architecture { get; set; } = "cs3darknet_s";
}

/// <summary>A slower fine-tuning trial (64 px), so a cancellation lands while it trains.</summary>
public sealed class SlowTrialSpace
{
    [Choice(new object[] { "cs3darknet_s" })]
    public string Architecture { get; set; } = "cs3darknet_s";

    [Choice(new object[] { 64 })]
    public int ImageSize { get; set; } = 64;

    [Choice(new object[] { "LbfgsMaximumEntropy" })]
    public CspHeadTrainer Head { get; set; } = CspHeadTrainer.LbfgsMaximumEntropy;

    [BooleanChoice(false)]
    public bool FreezeBackbone { get; set; }
}

/// <summary>Attribute defaults that differ from the property initializers: ML.NET's rule, the attribute wins.</summary>
public sealed class AttributeDefaultsSpace
{
    [Choice(new object[] { 16, 32 }, 16)]
    public int ImageSize { get; set; } = 32;

    [Range(1e-3, 1e-2, 4e-3, true)]
    public double LearningRate { get; set; } = 1e-2;
}
