namespace MLNet.CSP.Models.Configs;

/// <summary>Image resize interpolation.</summary>
public enum Interpolation
{
    /// <summary>Bilinear.</summary>
    Bilinear,
    /// <summary>Bicubic.</summary>
    Bicubic,
}
