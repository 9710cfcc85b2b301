namespace MLNet.CSP.Detection;

/// <summary>A ground-truth object: its box and its class (0-based).</summary>
/// <param name="Box">Where the object is, in pixels.</param>
/// <param name="Label">Class index, 0-based.</param>
public readonly record struct LabeledBox(BoundingBox Box, int Label);
