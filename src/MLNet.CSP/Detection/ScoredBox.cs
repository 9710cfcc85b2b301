namespace MLNet.CSP.Detection;

/// <summary>A detection: its box, its class (0-based) and its confidence.</summary>
/// <param name="Box">Where the object is, in pixels.</param>
/// <param name="Label">Class index, 0-based.</param>
/// <param name="Score">Confidence in [0, 1]; higher ranks first.</param>
public readonly record struct ScoredBox(BoundingBox Box, int Label, float Score);
