namespace MLNet.CSP.Models.DenseNets;

/// <summary>How a partial dense stage fuses its two parts (CSPNet paper, figure 3).</summary>
public enum CspFusion
{
    /// <summary>Partial transition on the dense part, concatenation with the skip part, then a fusion transition.</summary>
    Csp,

    /// <summary>Concatenation of the skip part and the dense block output, then one transition.</summary>
    FusionFirst,

    /// <summary>Partial transition on the dense part, then concatenation with the skip part; no transition after.</summary>
    FusionLast,
}
