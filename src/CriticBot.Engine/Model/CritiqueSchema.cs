namespace CriticBot.Engine.Model;

/// <summary>The JSON schema of a critique, sent as a non-strict <c>json_schema</c> response format.</summary>
/// <remarks>
/// Non-strict because strict mode demands every property be required and <c>end_line</c> is optional.
/// The critic still parses the answer defensively: servers may ignore the schema.
/// </remarks>
public static class CritiqueSchema
{
    /// <summary>The name of the response format, as the API requires one.</summary>
    public const string Name = "critique";

    public const string Json = """
        {
          "type": "object",
          "properties": {
            "comments": {
              "type": "array",
              "items": {
                "type": "object",
                "properties": {
                  "path": { "type": "string", "description": "File path as it appears in the diff." },
                  "line": { "type": "integer", "minimum": 1, "description": "Line in the new file where the quote starts." },
                  "end_line": { "type": "integer", "minimum": 1, "description": "Line where a multi-line quote ends." },
                  "quote": { "type": "string", "description": "Code copied verbatim from the diff." },
                  "severity": { "type": "string", "enum": ["bug", "risk", "nit"] },
                  "body": { "type": "string", "description": "What is wrong and why." }
                },
                "required": ["path", "line", "quote", "severity", "body"],
                "additionalProperties": false
              }
            }
          },
          "required": ["comments"],
          "additionalProperties": false
        }
        """;
}
