namespace MLNet.CSP.Models.CspNets;

/// <summary>How a stage is wired.</summary>
public enum StageType
{
    /// <summary>Cross stage partial (<see cref="CrossStage"/>): split, blocks + partial transition, concat, transition.</summary>
    Csp,
    /// <summary>CSP with a single output transition (<see cref="CrossStage3"/>), as in timm's CS3 models.</summary>
    Cs3,
    /// <summary>Plain DarkNet stage (<see cref="DarkStage"/>): downsample then blocks, no split.</summary>
    Dark,
}
