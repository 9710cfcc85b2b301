namespace MLNet.CSP.Detection;

/// <summary>How a detector fuses the backbone's pyramid before its heads.</summary>
public enum NeckKind
{
    /// <summary>
    /// The paper's Exact Fusion Model: each output scale takes its own level and both neighbouring levels (the range of
    /// object sizes its anchors can match), projects each to the scale's width and fuses them by Maxout (an element-wise
    /// maximum over the projections), so the aggregated pyramid costs one map per scale instead of three.
    /// </summary>
    Efm,

    /// <summary>The authors' CSPDarknet53-PANet-SPP neck: SPP (max pools 5/9/13) on the top level, a top-down path and a bottom-up path.</summary>
    PanetSpp,

    /// <summary>YOLOv3's plain feature pyramid: a top-down path only (the ablation baseline).</summary>
    Fpn,
}
