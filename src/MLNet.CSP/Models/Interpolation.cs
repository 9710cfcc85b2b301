namespace MLNet.CSP.Models;

/// <summary>Image resize interpolation.</summary>
public enum Interpolation
{
    /// <summary>Bilinear.</summary>
    Bilinear,
    /// <summary>Bicubic.</summary>
    Bicubic,
}
