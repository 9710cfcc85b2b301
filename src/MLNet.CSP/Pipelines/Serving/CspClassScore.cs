namespace MLNet.CSP.Pipelines.Serving;

/// <summary>A class and its probability.</summary>
/// <param name="Label">The class's name (its label value), or its 0-based index as text when the model has no names.</param>
/// <param name="Index">The class's 0-based index (key - 1).</param>
/// <param name="Score">Probability in [0, 1].</param>
public readonly record struct CspClassScore(string Label, int Index, float Score);
