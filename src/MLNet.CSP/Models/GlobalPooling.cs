namespace MLNet.CSP.Models;

/// <summary>How a feature map is reduced to a vector.</summary>
public enum GlobalPooling
{
    /// <summary>Global average pooling (what the classifiers are trained on).</summary>
    Average,
    /// <summary>Global max pooling.</summary>
    Max,
}
