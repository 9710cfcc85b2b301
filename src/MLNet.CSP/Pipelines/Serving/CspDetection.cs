namespace MLNet.CSP.Pipelines.Serving;

/// <summary>One object a detector found.</summary>
/// <param name="Label">The class's name, or its 0-based index as text when the model has no names.</param>
/// <param name="Index">The class's 0-based index.</param>
/// <param name="Score">Confidence in [0, 1].</param>
/// <param name="Box">Where, in the scored image's own pixels.</param>
public readonly record struct CspDetection(string Label, int Index, float Score, BoundingBox Box);
