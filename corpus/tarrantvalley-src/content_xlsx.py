# Risk register and corrective action log (openpyxl).
RISK_COLS = ['Risk ID', 'AI system', 'Risk description', 'Likelihood', 'Consequence', 'Residual score', 'Residual rating', 'Key controls', 'Risk owner', 'Accepted by', 'Last reviewed', 'Next review due', 'Status']
RISKS = [
 ['R-01', 'AI-001 AquaSense', 'Model fails to detect significant leaks in plastic pipe areas, leading to bursts and water loss', 4, 3, None, None, 'Controller review of watch list; additional loggers in Brackenridge (CA-2026-07)', 'Liam Fitzgerald', 'Rajesh Menon', '27 March 2026', '27 June 2026', 'Open - treatment under way'],
 ['R-02', 'AI-001 AquaSense', 'Supplier changes the model without adequate notice', 3, 3, None, None, 'Contract variation sought (CA-2026-02); upgrade deferral option', 'Brett Sandoval', 'General Manager Network Operations', '27 March 2026', '27 September 2026', 'Open - treatment under way'],
 ['R-03', 'AI-001 AquaSense', 'Crews dispatched automatically without human review if Auto-Dispatch is enabled', 2, 4, None, None, 'Auto-Dispatch not approved (MR-2026-01); administrator access limited to 2 staff', 'Liam Fitzgerald', 'General Manager Network Operations', '27 March 2026', '27 September 2026', 'Open'],
 ['R-04', 'AI-002 Tilly', 'Chatbot gives customers incorrect information about bills, hardship or water safety', 3, 4, None, None, 'Blocked topics hand over to a person; weekly transcript sampling; monthly content review', 'Jodie Marsh', 'Rajesh Menon', '12 March 2026', '12 June 2026', 'Open'],
 ['R-05', 'AI-002 Tilly', 'Customers are not aware they are talking to AI', 1, 2, None, None, 'Opening message discloses AI; "Talk to a person" button always shown', 'Jodie Marsh', 'Jodie Marsh', '12 March 2026', '12 March 2027', 'Open'],
 ['R-06', 'AI-003 Wattle Assist', 'Staff enter confidential or personal information into Wattle Assist', 3, 4, None, None, 'AI Essentials training; data loss prevention rules; Confidential use not approved', 'Rajesh Menon', 'Rajesh Menon', '20 March 2026', '20 June 2026', 'Open'],
 ['R-07', 'AI-003 Wattle Assist', 'Staff rely on fabricated output in advice, reports or correspondence', 4, 2, None, None, 'Training; acceptable use guidance requires checking of output; labelling of external content', 'Rajesh Menon', 'General Manager Digital & Technology', '20 March 2026', '20 September 2026', 'Open'],
 ['R-08', 'Public AI tools', 'Staff use public AI tools with customer or staff personal information', 4, 4, None, None, 'Acceptable use guidance; blocking of public AI tools on corporate devices (CA-2026-08)', 'Rajesh Menon', 'Rajesh Menon', '20 March 2026', '20 June 2026', 'Open - treatment under way'],
 ['R-09', 'AI-004 FlowCast', 'Forecast error during heatwaves leads to poor reservoir and pump scheduling', 2, 2, None, None, 'Operator review of forecasts; MAPE target below 6% monitored weekly', 'Dr Anika Sharma', 'Dr Anika Sharma', '3 February 2026', '3 February 2027', 'Open'],
 ['R-10', 'AI-004 FlowCast', 'Key person dependency on in-house data science team', 2, 2, None, None, 'Model documentation; code in version control; second analyst trained', 'Dr Anika Sharma', 'Dr Anika Sharma', '3 February 2026', '3 February 2027', 'Open'],
 ['R-11', 'AI-005 PipeSight', 'Serious sewer defects misclassified as minor and not repaired', 2, 4, None, None, 'Inspector confirms all grade 4 and 5 defects; 10% random sample of grades 1 to 3', 'Tom Karalis', 'General Manager Infrastructure Delivery', '18 March 2026', '18 September 2026', 'Open'],
 ['R-12', 'AI-006 CodeAssist', 'Invoices coded to wrong general ledger accounts', 2, 2, None, None, 'Invoices of $10,000 or more coded by AP officer; monthly reconciliation', 'Helen Voss', 'Helen Voss', '11 March 2026', '11 March 2027', 'Open'],
 ['R-13', 'All systems', 'AI feature switched on in existing software without governance review', 3, 3, None, None, 'Procurement checklist question on AI features (CA-2026-01); quarterly software scan', 'Claire Donnelly', 'General Manager Digital & Technology', '27 March 2026', '27 September 2026', 'Open - treatment under way'],
 ['R-14', 'All systems', 'Prompt injection or malicious content in documents processed by AI tools causes harmful output', 2, 3, None, None, 'Wattle Assist content filtering; staff training on checking output', 'Rajesh Menon', 'Rajesh Menon', '20 March 2026', '20 September 2026', 'Open'],
]
def rating(s):
    return 'Low' if s <= 4 else 'Medium' if s <= 9 else 'High' if s <= 16 else 'Extreme'
for r in RISKS:
    r[5] = r[3] * r[4]; r[6] = rating(r[5])

CA_COLS = ['Action ID', 'Source', 'Description', 'Owner', 'Raised', 'Due date', 'Status', 'Progress notes']
CAS = [
 ['CA-2026-01', 'IA-2026-02 F1', 'Register CodeAssist, complete impact screening and add an AI features question to the procurement checklist', 'Helen Voss', '27 February 2026', '30 April 2026', 'In progress', 'Registered 11 March 2026. Impact screening drafted; checklist question with Procurement.'],
 ['CA-2026-02', 'IA-2026-02 F2', 'Vary Sonaris contract TVW-C-2291 to require 30 days notice of model changes and a right to audit', 'Brett Sandoval', '27 February 2026', '30 June 2026', 'In progress', 'Letter sent to Sonaris 6 March 2026. Sonaris has offered 20 business days; negotiation continuing.'],
 ['CA-2026-03', 'IA-2026-02 F3', 'Link Wattle Assist access to completion of AI Essentials training and follow up incomplete staff', 'Claire Donnelly', '27 February 2026', '30 April 2026', 'In progress', 'Completion 86% at 31 March 2026. Access removal for incomplete staff from 15 May 2026.'],
 ['CA-2026-04', 'IA-2026-02 F4', 'Review three overdue High risks and add next review dates to the register', 'Claire Donnelly', '27 February 2026', '31 March 2026', 'Closed', 'Closed 27 March 2026. Next review due column added.'],
 ['CA-2026-05', 'IA-2026-02 F5', 'Update management review agenda template to include all clause 9.3 inputs', 'Priya Nair', '27 February 2026', '31 March 2026', 'Closed', 'Closed 6 March 2026. Template used for MR-2026-01.'],
 ['CA-2026-06', 'IA-2026-02 F6', 'Publish approved Acceptable Use of AI guidance on The Pipeline and add intranet pages to document control register', 'Corporate Communications', '27 February 2026', '31 March 2026', 'Closed', 'Closed 19 March 2026. Version 3.1 published.'],
 ['CA-2026-07', 'INC-2026-003', 'Install additional acoustic loggers on PVC mains in Brackenridge and trial plastic pipe mode', 'Liam Fitzgerald', '22 January 2026', '31 July 2026', 'In progress', '120 additional loggers ordered; installation from May 2026.'],
 ['CA-2026-08', 'INC-2026-005', 'Block access to public AI tools on corporate devices, with exceptions approved by the AI Governance Lead', 'Rajesh Menon', '18 February 2026', '31 May 2026', 'In progress', 'Web filter rules in testing.'],
 ['CA-2026-09', 'MR-2026-01', 'Complete risk and impact assessment of LeakWatch Auto-Dispatch before any use', 'Liam Fitzgerald', '10 March 2026', '30 June 2026', 'Not started', 'Auto-Dispatch confirmed switched off after upgrade planning meeting with Sonaris.'],
 ['CA-2026-10', 'INC-2026-005', 'Privacy refresher for Customer & Community team leaders on use of AI tools', 'Megan Truong', '18 February 2026', '30 April 2026', 'In progress', 'Two of four sessions delivered.'],
 ['CA-2026-11', 'AIGC March 2026', 'Publish updated list of AI systems on public website including CodeAssist', 'Jodie Marsh', '10 March 2026', '31 May 2026', 'Not started', ''],
]
CLOSED = [
 ['CA-2025-04', 'AIGC May 2025', 'Add AI disclosure to Tilly opening message', 'Jodie Marsh', '13 May 2025', '30 June 2025', 'Closed', 'Closed 16 June 2025.'],
 ['CA-2025-06', 'MR September 2025', 'Set AI objectives for 2025-26', 'Claire Donnelly', '9 September 2025', '31 October 2025', 'Closed', 'Closed 14 October 2025.'],
 ['CA-2025-07', 'MR September 2025', 'Update AI Incident Procedure for S2 phone reporting', 'Claire Donnelly', '9 September 2025', '30 November 2025', 'Closed', 'Closed 3 November 2025 (v1.3).'],
 ['CA-2025-09', 'INC-2025-014', 'Block hardship and payment deferral topics in Tilly and route them to a person; contact affected customers', 'Jodie Marsh', '19 November 2025', '15 December 2025', 'Closed', 'Closed 12 December 2025. All 37 customers contacted by 26 November 2025.'],
 ['CA-2026-04', 'IA-2026-02 F4', 'Review three overdue High risks', 'Claire Donnelly', '27 February 2026', '31 March 2026', 'Closed', 'Closed 27 March 2026.'],
]
