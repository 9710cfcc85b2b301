namespace MLNet.CSP.Models;

/// <summary>What a reported module output is: a stage of the reference (the names its hooks use) and/or a pyramid level.</summary>
[Flags]
internal enum TapKind
{
    /// <summary>A stage output as the reference implementation names its stages (<see cref="Backbone.ForwardStages"/>).</summary>
    Stage = 1,

    /// <summary>A candidate level of the feature pyramid (timm's <c>feature_info</c>: the last such output at each stride).</summary>
    Level = 2,

    /// <summary>Both.</summary>
    StageAndLevel = Stage | Level,
}

/// <summary>Receives module outputs while a network runs its trunk; the tensor is only lent (alias it to keep it).</summary>
internal delegate void FeatureTap(string module, Tensor output, TapKind kind);
